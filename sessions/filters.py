"""The review queue's filters: which of a session's registrations CSU looks at."""

import hashlib

import django_filters
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
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
        self.country_codes = sorted(codes, key=str)
        # Named (translated and sorted) only when the field is validated or rendered: the rendered fields are often
        # in the cache (filter_fields_html).
        self.filters["country"].extra["choices"] = lambda: [(code, name) for code, name in countries if code in codes]


# The filter fields' HTML (five select lists, some 200 options) costs more to render than the rest of the queue.
# It is kept in the cache under a key made of everything it shows: the language, the values asked for (and so any
# error), the countries offered and the umbrella bodies offered (read on every request, one short query, as before).
# A change to either list changes the key; nothing needs forgetting, and nothing in it is personal or secret.
FIELDS_SECONDS = 3600


def filter_fields_html(filterset: RegistrationFilter) -> str:
    """portal/_filter_fields.html for the filterset's form, from the cache when the same fields were rendered before."""
    form = filterset.form
    # The umbrella bodies are read once, for the key and, when the fields are rendered, for their choices.
    field = form.fields["umbrella_body"]
    bodies = list(field.queryset)
    offered = [field.iterator(field).choice(body) for body in bodies]
    values = getattr(form.data, "getlist", lambda name: [form.data[name]])
    asked = sorted((name, values(name)) for name in form.fields if name in form.data)
    shown = [(str(value), label) for value, label in offered]
    digest = hashlib.sha256(repr((form.is_bound, asked, filterset.country_codes, shown, form.prefix)).encode()).hexdigest()[:32]
    key = f"sessions:queue-filter-fields:{get_language()}:{digest}"
    html = cache.get(key)
    if html is None:
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        null = [(field.null_value, field.null_label)] if field.null_label is not None else []
        field.widget.choices = [*empty, *null, *offered]
        html = render_to_string("portal/_filter_fields.html", {"form": form})
        cache.set(key, html, FIELDS_SECONDS)
    return mark_safe(html)  # our own template, escaped when it was rendered
