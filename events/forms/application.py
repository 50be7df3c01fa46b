"""Forms of a side-event application as the lead organizer's focal points fill it in: the event and its speakers.

They check the shape of what was typed, field by field, so that every mistake is named
beside its field; what may happen (the window, one application per lead organizer) is the
services' to say.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from organizations.enums import VerificationState
from organizations.models import Organization, ThematicArea

from ..enums import LANGUAGE_CHOICES, EventFormat, SpeakerGender
from ..models import SideEvent, Speaker
from ..services import SpeakerData

SPEAKER_PREFIX = "speaker"
MAX_SPEAKERS = 20
# What a person types into a speaker's row; a row with none of these is an empty row, and ignored.
TYPED_FIELDS = ("name", "title", "affiliation", "gender", "country")
# The same words as the service's, so that the form can name the gap beside the field before asking it.
ONLINE_LINK_NEEDED = _("An online or hybrid event needs the link where people join it.")
SPEAKER_NAME_NEEDED = _("Give each speaker's name.")


class SideEventForm(forms.Form):
    """The event itself: what, in which format and languages, for how many people, with whom."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What the event is about and what participants take away; shown on the public programme."),
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"), queryset=ThematicArea.objects.order_by("name"), widget=forms.CheckboxSelectMultiple, required=False
    )
    format = forms.ChoiceField(label=_("Format"), choices=EventFormat.choices, widget=forms.RadioSelect, initial=EventFormat.IN_PERSON)
    online_link = forms.URLField(
        label=_("Online link"),
        required=False,
        assume_scheme="https",
        help_text=_("Where people join an online or hybrid event, such as a Zoom or Teams address."),
        error_messages={"invalid": _("Enter the full address of the link, such as https://example.org/join.")},
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=LANGUAGE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False, initial=["en"]
    )
    expected_audience = forms.IntegerField(
        label=_("Expected audience"),
        min_value=1,
        max_value=5000,
        initial=30,
        help_text=_("How many people you expect; the Civil Society Unit chooses a room of that size."),
    )
    co_organizers = forms.ModelMultipleChoiceField(  # each shown as "Name (ACRONYM)"
        label=_("Co-organizing organizations"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_(
            "Verified organizations only. Each is asked to confirm in the portal, and is shown publicly once it confirms."
        ),
    )
    co_sponsoring_states = SideEvent._meta.get_field("co_sponsoring_states").formfield(
        label=_("Co-sponsoring States"), required=False
    )
    co_sponsoring_un_entities = forms.CharField(
        label=_("Co-sponsoring UN entities"), max_length=300, required=False, help_text=_("For example: UNAIDS, WHO.")
    )

    def __init__(self, *args, lead_organization: Organization, event: SideEvent | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        current = list(event.co_organizers.values_list("organization_id", flat=True)) if event is not None and event.pk else []
        # Verified organizations, and any already named that has since lost its verification, so it is not dropped silently.
        self.fields["co_organizers"].queryset = (
            Organization.objects.filter(Q(verification_state=VerificationState.VERIFIED) | Q(pk__in=current))
            .exclude(pk=lead_organization.pk)
            .order_by("name", "pk")
        )
        self.fields["co_organizers"].widget.attrs["size"] = 8
        self.fields["co_sponsoring_states"].widget.attrs["size"] = 8
        self.fields["title"].error_messages["required"] = _("Give the event a title.")
        self.fields["description"].error_messages["required"] = _("Describe the event.")
        self.fields["format"].error_messages["required"] = _("Choose the event's format.")
        self.fields["expected_audience"].error_messages["required"] = _("Say how many people you expect.")
        if event is not None and event.pk and not self.is_bound:
            self.initial = {
                "title": event.title,
                "description": event.description,
                "themes": list(event.themes.all()),
                "format": event.format,
                "online_link": event.online_link,
                "languages": list(event.languages or []),
                "expected_audience": event.expected_audience,
                "co_organizers": current,
                "co_sponsoring_states": [country.code for country in event.co_sponsoring_states],
                "co_sponsoring_un_entities": event.co_sponsoring_un_entities,
            }

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("format") in (EventFormat.ONLINE, EventFormat.HYBRID) and not cleaned_data.get("online_link"):
            if "online_link" not in self.errors:
                self.add_error("online_link", ValidationError(ONLINE_LINK_NEEDED, code="online_link_needed"))
        return cleaned_data

    def event_data(self) -> dict:
        """The event's fields as the service takes them."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"].strip(),
            "format": data["format"],
            "online_link": data["online_link"],
            "languages": [code for code, _label in LANGUAGE_CHOICES if code in data["languages"]],
            "expected_audience": data["expected_audience"],
            "co_sponsoring_states": list(data["co_sponsoring_states"]),
            "co_sponsoring_un_entities": data["co_sponsoring_un_entities"].strip(),
        }


def speaker_initial(speaker: Speaker) -> dict:
    return {
        "name": speaker.name,
        "title": speaker.title,
        "affiliation": speaker.affiliation,
        "gender": speaker.gender,
        "country": speaker.country.code or "",
    }


class SpeakerForm(forms.Form):
    """One speaker of the panel. A row left empty, or marked for removal, is ignored; any other row needs
    the speaker's name, gender and country (the panel indicators count them)."""

    name = forms.CharField(label=_("Name"), max_length=150, error_messages={"required": SPEAKER_NAME_NEEDED})
    title = forms.CharField(label=_("Title or function"), max_length=150, required=False)
    affiliation = forms.CharField(label=_("Affiliation"), max_length=200, required=False)
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=[("", "---------"), *SpeakerGender.choices],
        error_messages={"required": _("Choose the speaker's gender (or “Other or not stated”).")},
    )
    country = Speaker._meta.get_field("country").formfield(
        label=_("Country"), error_messages={"required": _("Choose the speaker's country.")}
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "off"

    @property
    def typed(self) -> bool:
        """Something is typed in the row (bound forms), or it shows a saved speaker (unbound ones)."""
        if self.is_bound:
            return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in TYPED_FIELDS)
        return bool(self.initial.get("name"))

    @property
    def removed(self) -> bool:
        """The row's "remove" box is ticked (read from the data: the formset asks before cleaning)."""
        if not self.is_bound or "DELETE" not in self.fields:
            return False
        return bool(self.fields["DELETE"].widget.value_from_datadict(self.data, self.files, self.add_prefix("DELETE")))

    def has_changed(self) -> bool:
        return self.typed if self.is_bound else super().has_changed()

    def full_clean(self):
        # An empty row, or one marked for removal, is no speaker: nothing in it is checked.
        if self.is_bound and (self.removed or not self.typed):
            self._errors = ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def speaker_data(self) -> SpeakerData:
        data = self.cleaned_data
        return SpeakerData(
            name=data["name"], title=data["title"].strip(), affiliation=data["affiliation"].strip(),
            gender=data["gender"], country=data["country"],
        )


class BaseSpeakerFormSet(forms.BaseFormSet):
    """The panel: one row per speaker in order; empty rows and rows marked "remove" are left out."""

    def __init__(self, data=None, *, speakers=(), **kwargs):
        if data is None:
            kwargs["initial"] = [speaker_initial(speaker) for speaker in speakers]
        super().__init__(data, prefix=SPEAKER_PREFIX, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if index is not None:
            form.fields["DELETE"].label = gettext("Remove speaker %(number)s") % {"number": index + 1}

    def _should_delete_form(self, form):
        return form.removed

    def clean(self):
        if any(self.errors):
            return
        if len(self.kept_forms) > MAX_SPEAKERS:
            raise ValidationError(
                _("A panel can have at most %(count)s speakers. Remove some first.") % {"count": MAX_SPEAKERS}, code="too_many"
            )

    @property
    def kept_forms(self) -> list[SpeakerForm]:
        """The rows that are speakers: something typed, not marked for removal."""
        return [form for form in self.forms if form.typed and not form.removed]

    def speaker_data(self) -> list[SpeakerData]:
        return [form.speaker_data() for form in self.kept_forms]

    def typed_speakers(self) -> list[SpeakerData]:
        """What the rows say so far, valid or not, for the panel indicators: a speaker's gender and country
        count once they are among the choices."""
        genders = set(SpeakerGender.values)
        speakers = []
        for form in self.kept_forms:
            gender = str(form.data.get(form.add_prefix("gender"), ""))
            country = str(form.data.get(form.add_prefix("country"), "")).upper()
            speakers.append(
                SpeakerData(
                    name=str(form.data.get(form.add_prefix("name"), "")), title="", affiliation="",
                    gender=gender if gender in genders else "", country=country if countries.name(country) else "",
                )
            )
        return speakers


def speaker_formset(*, data=None, speakers=(), extra: int = 0):
    formset_class = forms.formset_factory(
        SpeakerForm,
        formset=BaseSpeakerFormSet,
        extra=extra,
        can_delete=True,
        max_num=MAX_SPEAKERS,
        absolute_max=MAX_SPEAKERS + 20,
    )
    return formset_class(data, speakers=speakers)
