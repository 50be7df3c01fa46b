"""The review queue's filters: which of a session's registrations CSU looks at."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from organizations.enums import EcosocStatus
from umbrella.models import UmbrellaBody

from .enums import Channel, RegistrationStatus
from .models import Registration

# Drafts and expired drafts never reach the queue (selectors.registrations_for_review).
QUEUE_STATUSES = [
    (status, label)
    for status, label in RegistrationStatus.choices
    if status not in (RegistrationStatus.DRAFT, RegistrationStatus.EXPIRED)
]


class RegistrationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=QUEUE_STATUSES, empty_label=_("Any status"))
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices, empty_label=_("Any channel"))
    umbrella_body = django_filters.ModelChoiceFilter(
        label=_("Umbrella body"), queryset=UmbrellaBody.objects.none(), empty_label=_("Any umbrella body")
    )
    country = django_filters.ChoiceFilter(
        label=_("Headquarters country"), field_name="organization__headquarters_country", empty_label=_("Any country")
    )
    ecosoc_status = django_filters.ChoiceFilter(
        label=_("ECOSOC status"),
        field_name="organization__ecosoc_status",
        choices=EcosocStatus.choices,
        empty_label=_("Any ECOSOC status"),
    )

    class Meta:
        model = Registration
        fields = ["status", "channel", "umbrella_body", "country", "ecosoc_status"]

    def __init__(self, data=None, queryset=None, *, session, country_codes=None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["umbrella_body"].queryset = UmbrellaBody.objects.filter(commissions=session.commission_id).order_by("name")
        # Only the countries the session's registrants come from: a list of 250 would mostly find nothing.
        # (`country_codes`: those countries, when the caller has them already.)
        if country_codes is not None:
            codes = set(country_codes)
        else:
            codes = (
                set(queryset.order_by().values_list("organization__headquarters_country", flat=True).distinct())
                if queryset is not None
                else set()
            )
        self.filters["country"].extra["choices"] = [(code, name) for code, name in countries if code in codes]
