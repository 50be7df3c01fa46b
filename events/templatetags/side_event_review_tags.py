"""Template helpers of the side-event review panel: which decisions are open, and what was typed into a refused one.

(Not named review_tags: sessions already has a library of that name, and Django keeps one per name.)
"""

import rules
from django import template

from ..enums import SideEventStatus
from ..services import REVIEWS

register = template.Library()

# Where the decide view (events.views.review) keeps what was typed into a refused decision.
DRAFT_KEY = "side_event_decision_draft"


@register.simple_tag
def side_event_decisions(user, event) -> list[str]:
    """The decisions this person may take on this application now, in the panel's order."""
    decisions = []
    if rules.has_perm("events.review", user, event):
        decisions = [name for name, review in REVIEWS.items() if event.status in review.from_statuses]
    if event.status == SideEventStatus.ACCEPTED and rules.has_perm("events.schedule", user, event):
        decisions.append("cancel")
    return decisions


@register.simple_tag(takes_context=True)
def side_event_decision_draft(context, event) -> dict:
    """What the person typed into a refused decision on this application, once; {} if nothing.

    The decide view redirects to the application page after a refusal and keeps the typed
    text in the session; showing it here removes it, so a reload starts afresh.
    """
    request = context.get("request")
    session = getattr(request, "session", None)
    if session is None:
        return {}
    draft = session.get(DRAFT_KEY)
    if not draft or draft.get("event") != event.pk:
        return {}
    del session[DRAFT_KEY]
    return draft


@register.filter
def draft_errors(draft: dict, field: str) -> list[str]:
    """The errors of one field of a refused decision ("reason")."""
    return (draft or {}).get("errors", {}).get(field, [])
