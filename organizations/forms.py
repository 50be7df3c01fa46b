"""Forms of the stakeholder database: the profile, asking to join, and CSU's decisions with their reasons.

Forms check the shape of what people type; the services decide what may happen.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import BUSINESS, EcosocStatus, OrganizationKind
from .models import Organization, ThematicArea
from .services import CSU_ONLY_FIELDS, EDITABLE_FIELDS

EARLIEST_YEAR_FOUNDED = 1800
REASON_MAX_LENGTH = 1000

NOT_A_COUNTRY = _("“%(value)s” is not a country we know. Choose the country from the list.")


class OrganizationForm(forms.ModelForm):
    """An organization's profile as its focal points keep it."""

    # The real kinds, plus "business" offered only to be refused with the reason.
    kind = forms.ChoiceField(
        label=_("Kind of organization"),
        choices=[*OrganizationKind.choices, (BUSINESS, _("Business or company"))],
        initial=OrganizationKind.NGO,
    )
    thematic_areas = forms.ModelMultipleChoiceField(
        label=_("Thematic areas"),
        queryset=ThematicArea.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Organization
        fields = [*EDITABLE_FIELDS, "thematic_areas"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "address": forms.Textarea(attrs={"rows": 3}),
            "website": forms.URLInput(attrs={"placeholder": "https://www.example.org"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
        }
        help_texts = {
            "countries_of_work": _("Hold Ctrl (Cmd on a Mac) to choose several countries."),
            "ecosoc_year": _("Only with an ECOSOC consultative status."),
            "email": _("Shown in the public directory once the organization is verified."),
        }
        error_messages = {
            "name": {
                "max_length": _("A name can have at most %(limit_value)d characters; this one has %(show_value)d."),
            },
            "headquarters_country": {"invalid_choice": NOT_A_COUNTRY},
            "countries_of_work": {"invalid_choice": NOT_A_COUNTRY},
            "website": {"invalid": _("Enter the website's full address, such as https://www.example.org.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year_founded"].widget.attrs.update(min=EARLIEST_YEAR_FOUNDED, max=timezone.now().year)

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        if kind == BUSINESS:
            raise ValidationError(
                _("A business is not a civil-society organization; the portal registers civil society only."),
                code="business",
            )
        return kind

    def clean_countries_of_work(self) -> list[str]:
        # Chosen order means nothing; sorted, an unchanged list never reads as a change.
        return sorted(set(self.cleaned_data["countries_of_work"]))

    def clean_year_founded(self) -> int | None:
        year = self.cleaned_data["year_founded"]
        this_year = timezone.now().year
        if year is not None and not EARLIEST_YEAR_FOUNDED <= year <= this_year:
            raise ValidationError(
                _("Enter a year between %(earliest)d and %(latest)d."),
                code="year_out_of_range",
                params={"earliest": EARLIEST_YEAR_FOUNDED, "latest": this_year},
            )
        return year

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("ecosoc_year") and cleaned_data.get("ecosoc_status") == EcosocStatus.NONE:
            self.add_error(
                "ecosoc_year",
                ValidationError(
                    _("A year is given only with an ECOSOC consultative status: choose the status or leave the year empty."),
                    code="year_without_status",
                ),
            )
        return cleaned_data


class CSUOrganizationForm(OrganizationForm):
    """The profile with what only CSU keeps: when ECOSOC status was checked, internal notes."""

    class Meta(OrganizationForm.Meta):
        fields = [*EDITABLE_FIELDS, "thematic_areas", *CSU_ONLY_FIELDS]
        widgets = OrganizationForm.Meta.widgets | {
            "ecosoc_checked_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "internal_notes": forms.Textarea(attrs={"rows": 4}),
        }


def organization_form_class(user) -> type[OrganizationForm]:
    return CSUOrganizationForm if user.has_perm("organizations.see_private_fields") else OrganizationForm


class JoinForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the organization's focal points"),
        help_text=_("Say who you are and what you do for the organization, so that they recognise you."),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReasonField(forms.CharField):
    """A decision's reason. Whether one is needed is the service's to say (its refusal names
    the field), so the form never refuses an empty one; it is labelled without "(optional)"
    because for most decisions it is not."""

    def validate(self, value):
        pass


class ReasonForm(forms.Form):
    use_required_attribute = False  # the browser must not refuse an empty reason where none is needed

    reason = ReasonField(label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, reason_label=None, reason_help=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reason_label:
            self.fields["reason"].label = reason_label
        if reason_help:
            self.fields["reason"].help_text = reason_help


class VerificationDecisionForm(ReasonForm):
    VERIFY, REQUEST_CHANGES, REJECT, ARCHIVE = "verify", "request_changes", "reject", "archive"

    decision = forms.ChoiceField(
        choices=[
            (VERIFY, _("Verify")),
            (REQUEST_CHANGES, _("Request changes")),
            (REJECT, _("Reject")),
            (ARCHIVE, _("Archive")),
        ],
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose a decision."), "invalid_choice": _("Choose a decision.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reason_label", _("Reason, e-mailed to the focal points"))
        kwargs.setdefault("reason_help", _("Needed to request changes, reject or archive; optional to verify."))
        super().__init__(*args, **kwargs)


class ChangeDecisionForm(ReasonForm):
    CONFIRM, DECLINE = "confirm", "decline"

    decision = forms.ChoiceField(
        choices=[(CONFIRM, _("Confirm")), (DECLINE, _("Decline"))],
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose a decision."), "invalid_choice": _("Choose a decision.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reason_label", _("Reason, e-mailed to the focal points"))
        kwargs.setdefault("reason_help", _("Needed to decline the changes."))
        super().__init__(*args, **kwargs)


class MergeForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the activity log"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form: beside the field it names, or at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
