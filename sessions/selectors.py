"""Reads of sessions."""

from django.db.models import QuerySet
from django.utils import timezone

from .models import Session


def upcoming_sessions() -> QuerySet[Session]:
    """Sessions that have not ended yet, soonest first."""
    return (
        Session.objects.filter(end_date__gte=timezone.localdate())
        .select_related("commission")
        .order_by("start_date", "commission__abbreviation")
    )


def past_sessions() -> QuerySet[Session]:
    return (
        Session.objects.filter(end_date__lt=timezone.localdate())
        .select_related("commission")
        .order_by("-start_date", "commission__abbreviation")
    )


def open_for_registration(now=None) -> QuerySet[Session]:
    now = now or timezone.now()
    return upcoming_sessions().filter(registration_opens__lte=now, registration_closes__gt=now)
