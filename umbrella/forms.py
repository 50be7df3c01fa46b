"""Forms of the umbrella bodies: applying, deciding with a reason, appointing a coordinator.

Forms check the shape of what people type; the services decide what may happen.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.forms import REASON_MAX_LENGTH, ReasonField
from organizations.models import Organization
from portal.models import User

from .models import MembershipCategory, UmbrellaBody
from .services import MOTIVATION_MAX_LENGTH


class ApplicationForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organization"),
        queryset=Organization.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("Choose one of your organizations."), "required": _("Choose one of your organizations.")},
    )
    category = forms.ModelChoiceField(
        label=_("Membership category"),
        queryset=MembershipCategory.objects.none(),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose a membership category."), "required": _("Choose a membership category.")},
    )
    motivation = forms.CharField(
        label=_("Motivation"),
        help_text=_("In a few sentences: what your organization does and why it wants to join. The coordinators read this."),
        max_length=MOTIVATION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": _("Say in a few sentences why your organization wants to join."),
            "max_length": _("The motivation can have at most %(limit_value)d characters; it has %(show_value)d."),
        },
    )

    def __init__(self, *args, body: UmbrellaBody, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        self.fields["category"].queryset = body.categories.all()
        self.fields["category"].label_from_instance = (
            lambda category: f"{category.name} – {category.description}" if category.description else category.name
        )


class DecisionForm(forms.Form):
    """A decision on a membership, with its reason where one is needed."""

    use_required_attribute = False

    reason = ReasonField(label=_("Reason"), max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))
    # The status the person saw: a decision taken on a page that is out of date is refused.
    seen_status = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, decision: str, reason_required: bool, reason_label=None, **kwargs):
        # Several decisions share a page: each form's ids are its own.
        super().__init__(*args, auto_id=f"id_{decision}_%s", **kwargs)
        self.decision = decision
        # The service says whether a reason is needed; this only labels the field "(optional)" or not.
        self.fields["reason"].required = reason_required
        if reason_label:
            self.fields["reason"].label = reason_label


class AppointCoordinatorForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the person's account"),
        help_text=_("The person must have signed up to the portal with this address."),
        error_messages={"required": _("Enter the e-mail address of the person's account."), "invalid": _("Enter a valid e-mail address.")},
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise forms.ValidationError(
                _("No account uses this address. Ask the person to sign up first, then appoint them.")
            )
        self.user = user
        return email
