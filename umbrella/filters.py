"""The coordinator dashboard's filters: which members to list and export."""

import django_filters
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from organizations.enums import EcosocStatus

from .enums import MembershipStatus
from .models import MembershipCategory, UmbrellaMembership
from .selectors import MEMBER_STATUSES


class MemberFilter(django_filters.FilterSet):
    country = django_filters.ChoiceFilter(
        label=_("Headquarters country"), field_name="organization__headquarters_country", empty_label=_("Any country")
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=MembershipCategory.objects.none(), empty_label=_("Any category")
    )
    ecosoc_status = django_filters.ChoiceFilter(
        label=_("ECOSOC status"),
        field_name="organization__ecosoc_status",
        choices=EcosocStatus.choices,
        empty_label=_("Any ECOSOC status"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Membership status"),
        choices=[(status, label) for status, label in MembershipStatus.choices if status in MEMBER_STATUSES],
        empty_label=_("Active or suspended"),
    )

    class Meta:
        model = UmbrellaMembership
        fields = ["country", "category", "ecosoc_status", "status"]

    def __init__(self, data=None, queryset=None, *, body, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["category"].queryset = body.categories.all()
        # Only the countries the body's members come from: a list of 250 would mostly find nothing.
        codes = set(queryset.order_by().values_list("organization__headquarters_country", flat=True).distinct()) if queryset is not None else set()
        self.filters["country"].extra["choices"] = [(code, name) for code, name in countries if code in codes]
