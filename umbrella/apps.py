"""Umbrella bodies: VNGOC, the UNCAC Coalition and the Alliance, their coordinators and members."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UmbrellaConfig(AppConfig):
    name = "umbrella"
    verbose_name = _("Umbrella bodies")
