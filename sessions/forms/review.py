"""Forms of the decisions on registrations: CSU's and the umbrella coordinators'.

They only check the shape of what was posted; whether a decision is allowed (a reason
given where one is required, the rule 17 answer recorded, the status still open) is the
services' business, and their refusals are shown as they come.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..enums import Rule17Outcome
from ..models import Participant, Registration, Session

REASON_MAX_LENGTH = 2000


class DecisionForm(forms.Form):
    """One decision on one registration, posted from the decision panel.

    For "approve", each participant has a checkbox reject_<id> and a reason_<id>.
    """

    reason = forms.CharField(label=_("Reason"), required=False, max_length=REASON_MAX_LENGTH, widget=forms.Textarea)
    note = forms.CharField(label=_("Note"), required=False, max_length=REASON_MAX_LENGTH, widget=forms.Textarea)
    outcome = forms.ChoiceField(
        label=_("Answer of the States"),
        required=False,
        choices=[(Rule17Outcome.NO_OBJECTION, Rule17Outcome.NO_OBJECTION.label), (Rule17Outcome.OBJECTION, Rule17Outcome.OBJECTION.label)],
    )

    def __init__(self, data=None, *, participants: list[Participant] = (), **kwargs):
        super().__init__(data, **kwargs)
        self.participants = list(participants)
        for participant in self.participants:
            self.fields[f"reject_{participant.pk}"] = forms.BooleanField(
                label=_("Reject %(person)s") % {"person": participant.passport_name}, required=False
            )
            self.fields[f"reason_{participant.pk}"] = forms.CharField(
                label=_("Reason for rejecting %(person)s") % {"person": participant.passport_name},
                required=False,
                max_length=REASON_MAX_LENGTH,
            )

    @property
    def rejected(self) -> dict[int, str]:
        """The participants ticked for rejection, with the reason typed for each (maybe empty)."""
        return {
            participant.pk: self.cleaned_data.get(f"reason_{participant.pk}", "")
            for participant in self.participants
            if self.cleaned_data.get(f"reject_{participant.pk}")
        }


class BulkApprovalForm(forms.Form):
    """The registrations ticked in the review queue, to approve at once."""

    ids = forms.ModelMultipleChoiceField(
        queryset=Registration.objects.none(),
        error_messages={
            "required": _("Select at least one registration to approve."),
            "invalid_choice": _("A selected registration is not in this session's queue. Reload the page; nothing was approved."),
            "invalid_pk_value": _("A selected registration is not in this session's queue. Reload the page; nothing was approved."),
        },
    )

    def __init__(self, data=None, *, session: Session, **kwargs):
        super().__init__(data, **kwargs)
        # Any registration of the session: one decided meanwhile is refused by the service, with who decided.
        self.fields["ids"].queryset = (
            session.registrations.select_related("organization").order_by("submitted_at", "pk")
        )
