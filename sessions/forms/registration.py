"""Forms of a delegation as its focal points fill it in: how to register, the letter, the participants.

They check the shape of what was typed, field by field, so that every mistake is named
beside its field; what may happen (the window, the quota, the channel) is the services' to say.
"""

import re
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext
from django_countries.fields import LazyTypedChoiceField

from .. import images
from ..enums import Attendance, Channel, CongressCategory, Gender, ParticipantRole
from ..models import Participant, Session
from ..services import LETTER_MAX_BYTES, Admission, ParticipantData, passport_error

PARTICIPANT_PREFIX = "participant"
MIN_AGE = 16
MAX_AGE = 110
PASSPORT_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9 -]*$")
REMOVE_FIELD = "remove"
# What a person types into a new participant's row; a row with none of these is an empty row, and ignored.
TYPED_FIELDS = ("family_name", "given_names", "gender", "nationality", "date_of_birth", "passport_number", "passport_expiry", "email")
DIRECT = "direct"
BODY_PREFIX = "body-"


# --- How the organization registers --------------------------------------------------------------


class StartRegistrationForm(forms.Form):
    """The channel (directly, or through one of the umbrella bodies open to the organization) and,
    for the Crime Congress, the organization's category."""

    way = forms.ChoiceField(label=_("How does the organization register?"), widget=forms.RadioSelect)
    congress_category = forms.ChoiceField(
        label=_("Category for the Congress"), choices=CongressCategory.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, organization, session: Session, admission: Admission, **kwargs):
        super().__init__(*args, **kwargs)
        self.admission = admission
        choices = []
        if admission.direct:
            choices.append((DIRECT, gettext("Directly, as %(organization)s") % {"organization": organization}))
        for body in admission.bodies:
            choices.append((f"{BODY_PREFIX}{body.pk}", gettext("Through %(body)s, as part of its delegation") % {"body": body.name}))
        self.fields["way"].choices = choices
        if len(choices) == 1:
            self.fields["way"].initial = choices[0][0]
        self.fields["way"].error_messages["required"] = _("Choose how the organization registers.")
        self.fields["congress_category"].error_messages["required"] = _("Choose the organization's category for the Congress.")
        if session.effective_admission_rule != "congress":
            del self.fields["congress_category"]

    def clean(self):
        cleaned_data = super().clean()
        way = cleaned_data.get("way", "")
        cleaned_data["channel"] = Channel.DIRECT if way == DIRECT else Channel.UMBRELLA
        cleaned_data["umbrella_body"] = next(
            (body for body in self.admission.bodies if way == f"{BODY_PREFIX}{body.pk}"), None
        )
        cleaned_data.setdefault("congress_category", "")
        return cleaned_data


# --- The delegation: its letter -----------------------------------------------------------------


class LetterForm(forms.Form):
    """The accreditation letter, checked by its content: a PDF starts with "%PDF-", whatever its name."""

    accreditation_letter = forms.FileField(
        label=_("Accreditation letter (PDF)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text=_(
            "On the organization's letterhead and signed by its head, naming each representative "
            "“FAMILY NAME, Given names” exactly as in the passport, with their e-mail. A PDF file of at most 5 MB."
        ),
        error_messages={"empty": _("The accreditation letter is an empty file. Choose the signed PDF again.")},
    )

    def __init__(self, *args, has_letter: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_letter = has_letter
        if has_letter:
            self.fields["accreditation_letter"].label = _("Replace the accreditation letter (PDF)")

    def clean_accreditation_letter(self):
        letter = self.cleaned_data.get("accreditation_letter")
        if not letter:
            return None
        if letter.size > LETTER_MAX_BYTES:
            raise ValidationError(
                _("The accreditation letter must be a PDF file of at most 5 MB; this one has %(size)s.")
                % {"size": _megabytes(letter.size)},
                code="letter_too_large",
            )
        letter.seek(0)
        if letter.read(5) != b"%PDF-":
            raise ValidationError(
                _("The accreditation letter must be a PDF file of at most 5 MB; this file is not a PDF. Save the signed letter as PDF and upload it again."),
                code="letter_not_pdf",
            )
        letter.seek(0)
        return letter


def _megabytes(size: int) -> str:
    return gettext("%(size)s MB") % {"size": formats.number_format(size / (1024 * 1024), 1)}


# --- The delegation: its participants ------------------------------------------------------------


def participant_initial(participant: Participant) -> dict:
    return {
        "participant_id": participant.pk,
        "family_name": participant.family_name,
        "given_names": participant.given_names,
        "gender": participant.gender,
        "nationality": participant.nationality.code or "",
        "date_of_birth": participant.date_of_birth,
        "passport_number": participant.passport_number,
        "passport_expiry": participant.passport_expiry,
        "email": participant.email,
        "role": participant.role,
        "attendance": participant.attendance,
        "needs_visa_letter": participant.needs_visa_letter,
    }


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SharedChoices:
    """A choice field whose choices every form shares, as the class declares them: Django deep-copies a choice
    field's choices (lazy translated labels, some 250 countries) for every form, a participant's row included.
    For fields whose choices no form changes."""

    def __deepcopy__(self, memo):
        return forms.Field.__deepcopy__(self, memo)  # the field, its widget, messages and validators; not its choices


class SharedChoiceField(SharedChoices, forms.ChoiceField):
    pass


class CountryChoiceField(SharedChoices, LazyTypedChoiceField):
    """The model's country choices, a posted code checked against the codes alone.

    Django would look for it among the choices, each with the country's name in the active
    language: some 250 names translated and compared for every participant's row.
    """

    def valid_value(self, value) -> bool:
        return str(value) in NATIONALITY_COUNTRIES.countries


NATIONALITY_COUNTRIES = Participant._meta.get_field("nationality").countries
PASSPORT_HELP = _("Exactly as in the passport.")
NEEDED_TO_SUBMIT = _("Needed to submit the registration; a draft can be saved without it.")


class ParticipantForm(forms.Form):
    """One representative, as the badge and the visa letter need them."""

    participant_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    family_name = forms.CharField(label=_("Family name"), max_length=100, help_text=PASSPORT_HELP)
    given_names = forms.CharField(label=_("Given names"), max_length=150, help_text=PASSPORT_HELP)
    gender = SharedChoiceField(label=_("Gender"), choices=[("", "---------"), *Gender.choices])
    nationality = Participant._meta.get_field("nationality").formfield(
        label=_("Nationality"), choices_form_class=CountryChoiceField
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=_date_input(), help_text=NEEDED_TO_SUBMIT)
    passport_number = forms.CharField(
        label=_("Passport or ID number"), max_length=40, required=False, help_text=NEEDED_TO_SUBMIT
    )
    passport_expiry = forms.DateField(label=_("Passport or ID valid until"), widget=_date_input())
    email = forms.EmailField(
        label=_("E-mail"),
        help_text=_("The participant's own address: the confirmation is sent there."),
        error_messages={"invalid": _("Enter a valid e-mail address, such as name@example.org.")},
    )
    role = SharedChoiceField(label=_("Role"), choices=ParticipantRole.choices, initial=ParticipantRole.REPRESENTATIVE)
    attendance = SharedChoiceField(label=_("Attendance"), choices=Attendance.choices, initial=Attendance.IN_PERSON)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
        help_text=_("Head and shoulders, plain background. JPEG or PNG, at most 5 MB, at least 300×300 pixels."),
        error_messages={"empty": _("The photo is an empty file. Choose the photo again.")},
    )
    needs_visa_letter = forms.BooleanField(label=_("Needs a visa support letter"), required=False)

    def __init__(self, *args, session: Session, participant: Participant | None = None, claimed_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.session = session
        self.participant = participant
        self.claimed_id = claimed_id
        if participant is not None:
            self.initial = {**participant_initial(participant), **self.initial}
            self.empty_permitted = False
            self.fields[REMOVE_FIELD] = forms.BooleanField(
                label=_("Remove %(person)s from the delegation") % {"person": participant.passport_name}, required=False
            )
        self.fields["date_of_birth"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["passport_expiry"].widget.attrs["min"] = (session.end_date + timedelta(days=1)).isoformat()
        for name in ("family_name", "given_names", "email"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    @property
    def is_new(self) -> bool:
        return self.participant is None

    @property
    def removed(self) -> bool:
        return self.participant is not None and bool(getattr(self, "cleaned_data", {}).get(REMOVE_FIELD))

    @property
    def has_new_photo(self) -> bool:
        return bool(self.is_bound and self.files.get(self.add_prefix("photo")))

    def has_changed(self) -> bool:
        # A new row counts only once something is typed in it: its preset role and attendance are not a participant.
        if self.is_new and self.is_bound:
            return any(str(self.data.get(self.add_prefix(name), "")).strip() for name in TYPED_FIELDS) or self.has_new_photo
        return super().has_changed()

    def clean_family_name(self) -> str:
        return " ".join(self.cleaned_data["family_name"].split())

    def clean_given_names(self) -> str:
        return " ".join(self.cleaned_data["given_names"].split())

    def clean_date_of_birth(self) -> date | None:
        born = self.cleaned_data.get("date_of_birth")
        if born is None:
            return None
        if born >= timezone.localdate():
            raise ValidationError(_("The date of birth must be in the past."), code="birth_in_future")
        first_day = self.session.start_date
        age = first_day.year - born.year - ((first_day.month, first_day.day) < (born.month, born.day))
        if age < MIN_AGE:
            raise ValidationError(
                _("A representative must be at least %(age)s years old on the first day of the session."),
                code="too_young",
                params={"age": MIN_AGE},
            )
        if age > MAX_AGE:
            raise ValidationError(
                _("Check the date of birth: it makes the person older than %(age)s."), code="too_old", params={"age": MAX_AGE}
            )
        return born

    def clean_passport_number(self) -> str:
        number = " ".join(self.cleaned_data.get("passport_number", "").split()).upper()
        if not number:
            return ""
        if not PASSPORT_NUMBER.match(number):
            raise ValidationError(
                _("Enter the passport or ID number as printed: letters and digits only."), code="passport_number"
            )
        return number

    def clean_passport_expiry(self) -> date:
        expiry = self.cleaned_data.get("passport_expiry")
        message = passport_error(expiry, self.session)
        if message:
            raise ValidationError(message, code="passport_expiry")
        return expiry

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        return images.clean_photo(upload)

    def participant_data(self) -> ParticipantData:
        data = self.cleaned_data
        return ParticipantData(
            family_name=data["family_name"],
            given_names=data["given_names"],
            gender=data["gender"],
            nationality=data["nationality"],
            date_of_birth=data["date_of_birth"],
            passport_number=data["passport_number"],
            passport_expiry=data["passport_expiry"],
            email=data["email"],
            role=data["role"],
            attendance=data["attendance"],
            needs_visa_letter=data["needs_visa_letter"],
            photo=data["photo"],
            participant_id=self.participant.pk if self.participant is not None else None,
        )


class BaseParticipantFormSet(forms.BaseFormSet):
    """The delegation's participants: one form per saved participant, then the new rows.

    A bound form belongs to the saved participant whose id it carries (not to its place in
    the list), so that a list changed meanwhile is noticed rather than written over.
    """

    def __init__(self, data=None, files=None, *, participants=(), **kwargs):
        self.saved = list(participants)
        self.saved_by_id = {participant.pk: participant for participant in self.saved}
        if data is None:
            kwargs["initial"] = [participant_initial(participant) for participant in self.saved]
        super().__init__(data, files, prefix=PARTICIPANT_PREFIX, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is None:
            return kwargs
        if self.is_bound:
            raw = str(self.data.get(f"{self.add_prefix(index)}-participant_id", "")).strip()
            claimed = int(raw) if raw.isdigit() else None
            kwargs["claimed_id"] = claimed
            kwargs["participant"] = self.saved_by_id.get(claimed)
        elif index < len(self.saved):
            kwargs["participant"] = self.saved[index]
        return kwargs

    def add_fields(self, form, index):
        # The "remove" box is the form's own, on saved participants only; nothing else is added.
        pass

    def _should_delete_form(self, form):
        return form.removed

    def clean(self):
        claimed = [form.claimed_id for form in self.forms if form.claimed_id is not None]
        if len(claimed) != len(set(claimed)) or any(form.claimed_id is not None and form.participant is None for form in self.forms):
            raise ValidationError(
                _("The list of participants changed meanwhile. Reload the page; nothing was saved."), code="stale"
            )
        heads = [
            form for form in self.kept_forms if form.cleaned_data.get("role") == ParticipantRole.HEAD
        ]
        if len(heads) > 1:
            raise ValidationError(_("Name one head of delegation only."), code="two_heads")

    @property
    def kept_forms(self) -> list[ParticipantForm]:
        """The saved participants not removed, and the new rows with something typed in them."""
        return [
            form for form in self.forms
            if not form.removed and (form.participant is not None or form.has_changed())
        ]

    def participant_data(self) -> list[ParticipantData]:
        """What to save: new participants, and saved ones whose details changed."""
        return [form.participant_data() for form in self.kept_forms if form.is_new or form.has_changed()]

    def removed_ids(self) -> list[int]:
        return [form.participant.pk for form in self.forms if form.removed]


def participant_formset(session: Session, *, data=None, files=None, participants=(), extra: int = 0):
    """The formset for a session: never more rows than its quota (the service refuses more with its reasons)."""
    quota = session.quota_per_organization
    formset_class = forms.formset_factory(
        ParticipantForm,
        formset=BaseParticipantFormSet,
        extra=extra,
        max_num=quota,
        absolute_max=quota + 20,
        can_delete=True,
        can_delete_extra=False,
    )
    return formset_class(data, files, participants=participants, form_kwargs={"session": session})


def mark_submission_gaps(letter_form: LetterForm, formset: BaseParticipantFormSet) -> None:
    """Beside each field of the saved delegation, what a submission still needs (the letter, dates of
    birth, passport numbers), for a form shown again after the submission was refused."""

    def add(form, field, message):
        if not hasattr(form, "cleaned_data"):
            form.cleaned_data = {}  # an unbound form takes errors once it has (empty) cleaned data
        form.add_error(field, ValidationError(message, code="needed_to_submit"))

    if not letter_form.has_letter:
        add(letter_form, "accreditation_letter", _("Upload the accreditation letter, signed by the head of the organization."))
    for form in formset.forms:
        participant = form.participant
        if participant is None:
            continue
        if participant.date_of_birth is None:
            add(form, "date_of_birth", _("Enter the date of birth: the badge needs it."))
        if not participant.passport_number:
            add(form, "passport_number", _("Enter the passport or ID number: the badge needs it."))
