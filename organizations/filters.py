"""The directory's filters: what the list of organizations can be searched, narrowed and sorted by."""

import django_filters
from django import forms
from django.db.models import F, Func, IntegerField, QuerySet, Value
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from portal.rules import is_csu_staff
from umbrella.enums import MembershipStatus
from umbrella.models import UmbrellaBody

from .enums import EcosocStatus, OrganizationKind, RegionalGroup, VerificationState
from .models import Organization, ThematicArea
from .selectors import search_organizations


class CountryNameOrder(Func):
    """The position of an organization's country when countries are sorted by their translated name.

    The database knows only ISO codes; sorting by code would put Switzerland (CH) before
    Germany (DE). One string of codes in name order, ",AF,AX,AL,...", and the position of
    ",<code>," in it sort the rows in one pass with one parameter.
    """

    output_field = IntegerField()
    template = "strpos(%(expressions)s || ',')"
    arg_joiner = ", ',' || "

    def __init__(self, field: str):
        codes_by_name = "," + ",".join(country.code for country in countries) + ","
        super().__init__(Value(codes_by_name), F(field))

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="instr(%(expressions)s || ',')", **extra_context)


class Sort:
    NAME = "name"
    NAME_DESCENDING = "-name"
    COUNTRY = "country"
    NEWEST = "newest"

    CHOICES = [
        (NAME, _("Name, A to Z")),
        (NAME_DESCENDING, _("Name, Z to A")),
        (COUNTRY, _("Headquarters country")),
        (NEWEST, _("Newest first")),
    ]
    ORDERINGS = {
        NAME: ("name", "pk"),
        NAME_DESCENDING: ("-name", "-pk"),
        NEWEST: ("-created_at", "-pk"),
    }


class OrganizationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search names, acronyms and descriptions"),
        method="search",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind of organization"), choices=OrganizationKind.choices, empty_label=_("Any kind")
    )
    headquarters_country = django_filters.ChoiceFilter(
        # The countries object, not a list: it is read again, in the current language, for every form.
        label=_("Headquarters country"), choices=countries, empty_label=_("Any country")
    )
    regional_group = django_filters.ChoiceFilter(
        label=_("UN regional group"), choices=RegionalGroup.choices, empty_label=_("Any regional group")
    )
    thematic_area = django_filters.ModelChoiceFilter(
        label=_("Thematic area"),
        field_name="thematic_areas",
        to_field_name="slug",
        queryset=ThematicArea.objects.all(),
        empty_label=_("Any thematic area"),
    )
    ecosoc_status = django_filters.ChoiceFilter(
        label=_("ECOSOC consultative status"), choices=EcosocStatus.choices, empty_label=_("Any status")
    )
    umbrella = django_filters.ModelChoiceFilter(
        label=_("Member of umbrella body"),
        to_field_name="slug",
        queryset=UmbrellaBody.objects.order_by("acronym"),
        empty_label=_("Any or none"),
        method="filter_umbrella",
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=Sort.CHOICES, empty_label=_("Best match"), method="sort_later"
    )

    class Meta:
        model = Organization
        fields = []  # all declared above

    @classmethod
    def parameters_for(cls, user) -> set[str]:
        """The query string's parameters that this user's directory reads (cheaper than building the filters)."""
        return {*cls.base_filters, "verification_state"} if is_csu_staff(user) else set(cls.base_filters)

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.user = user
        if is_csu_staff(user):
            # Only CSU may narrow by verification state; for anyone else the parameter does not
            # exist (parameters_for says the same).
            verification_state = django_filters.ChoiceFilter(
                field_name="verification_state",
                label=_("Verification"),
                choices=VerificationState.choices,
                empty_label=_("Any verification state"),
            )
            verification_state.model = self.queryset.model
            verification_state.parent = self
            filters = list(self.filters.items())
            filters.insert(len(filters) - 1, ("verification_state", verification_state))
            self.filters = dict(filters)

    def filter_umbrella(self, queryset: QuerySet[Organization], name: str, body) -> QuerySet[Organization]:
        return queryset.filter(
            umbrella_memberships__body=body, umbrella_memberships__status=MembershipStatus.ACTIVE
        )

    def search(self, queryset: QuerySet[Organization], name: str, value: str) -> QuerySet[Organization]:
        return search_organizations(queryset, value)

    def sort_later(self, queryset: QuerySet[Organization], name: str, value: str) -> QuerySet[Organization]:
        # Sorting comes last, in filter_queryset, once the search has annotated its relevance.
        return queryset

    def filter_queryset(self, queryset: QuerySet[Organization]) -> QuerySet[Organization]:
        queryset = super().filter_queryset(queryset)
        sort = self.form.cleaned_data.get("sort") or ""
        if sort == Sort.COUNTRY:
            return queryset.order_by(CountryNameOrder("headquarters_country"), "name", "pk")
        if sort in Sort.ORDERINGS:
            return queryset.order_by(*Sort.ORDERINGS[sort])
        if "relevance" in queryset.query.annotations:
            return queryset.order_by("-relevance", "name", "pk")
        return queryset.order_by(*Sort.ORDERINGS[Sort.NAME])
