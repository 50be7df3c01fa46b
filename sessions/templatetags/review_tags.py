"""Template helpers of the decision panel: what was typed into a refused decision."""

from django import template

register = template.Library()

# Where the decide view (sessions.views.review) keeps what was typed into a refused decision.
DRAFT_KEY = "decision_draft"


@register.simple_tag(takes_context=True)
def decision_draft(context, registration) -> dict:
    """What the person typed into a decision on this registration that was refused, once; {} if nothing.

    The decide view redirects to the registration page after a refusal and keeps the
    typed text in the session; showing it here removes it, so a reload starts afresh.
    """
    request = context.get("request")
    session = getattr(request, "session", None)
    if session is None:
        return {}
    draft = session.get(DRAFT_KEY)
    if not draft or draft.get("registration") != registration.pk:
        return {}
    del session[DRAFT_KEY]
    return draft


@register.filter
def rejection_of(draft: dict, participant) -> str | None:
    """The reason typed for rejecting this participant in a refused approval; None if they were not ticked."""
    return (draft or {}).get("rejected", {}).get(str(participant.pk))


@register.filter
def draft_errors(draft: dict, field: str) -> list[str]:
    """The errors of one field of a refused decision ("reason", "outcome")."""
    return (draft or {}).get("errors", {}).get(field, [])


@register.filter
def rejection_errors(draft: dict, participant) -> list[str]:
    """The errors of the reason for rejecting this participant in a refused approval."""
    return draft_errors(draft, f"reason_{participant.pk}")
