"""The public programme's filters: which of a session's side events a visitor looks at."""

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from organizations.models import ThematicArea

from .enums import EventFormat
from .models import Room, SideEvent


class ProgrammeFilter(django_filters.FilterSet):
    room = django_filters.ModelChoiceFilter(label=_("Room"), queryset=Room.objects.none(), empty_label=_("Any room"))
    theme = django_filters.ModelChoiceFilter(
        label=_("Theme"),
        field_name="themes",
        to_field_name="slug",
        queryset=ThematicArea.objects.none(),
        empty_label=_("Any theme"),
    )
    format = django_filters.ChoiceFilter(label=_("Format"), choices=EventFormat.choices, empty_label=_("Any format"))

    class Meta:
        model = SideEvent
        fields = ["room", "theme", "format"]

    def __init__(self, data=None, queryset: QuerySet[SideEvent] | None = None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        # Only the rooms and themes of the programme's events: any other choice would find nothing.
        listed = self.queryset.order_by()
        self.filters["room"].queryset = Room.objects.filter(pk__in=listed.values("room_id")).order_by("name", "pk")
        self.filters["theme"].queryset = ThematicArea.objects.filter(pk__in=listed.values("themes")).order_by("name")
