"""Reads of the stakeholder database: who sees which organizations, and the directory's search."""

import difflib

from django.contrib.postgres.search import SearchQueryField, SearchVectorField, TrigramWordSimilarity
from django.db import connection
from django.db.models import BooleanField, F, FloatField, Func, Q, QuerySet, Value

from portal.models import ActivityLog
from portal.rules import is_csu_staff

from .enums import VerificationState
from .models import Organization, OrganizationMember


def organizations_visible_to(user) -> QuerySet[Organization]:
    """Verified organizations for everyone; all of them for CSU; a focal point's own whatever their state."""
    organizations = Organization.objects.all()
    if is_csu_staff(user):
        return organizations
    visible = Q(verification_state=VerificationState.VERIFIED)
    if user.is_authenticated:
        # A subquery, not a join on members: a join would repeat an organization once per focal point.
        visible |= Q(pk__in=OrganizationMember.objects.filter(user=user).values("organization_id"))
    return organizations.filter(visible)


# --- Search ------------------------------------------------------------------------------
# The expressions below are written out so that PostgreSQL sees exactly the expressions of the
# indexes created in migration 0004: GIN (to_tsvector('simple'::regconfig, search_text)) and
# GIN (search_names gin_trgm_ops). A different spelling would not use them.


class SimpleVector(Func):
    """to_tsvector with the 'simple' configuration: no stemming, as names come in every language."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


class SimpleWebQuery(Func):
    """What people type into a search box ("a b", "a OR b", "-c", quotes) as a tsquery."""

    template = "websearch_to_tsquery('simple'::regconfig, %(expressions)s)"
    output_field = SearchQueryField()


class Matches(Func):
    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()


class TsRank(Func):
    function = "ts_rank"
    output_field = FloatField()


def search_organizations(
    queryset: QuerySet[Organization], text: str, *, engine: str | None = None
) -> QuerySet[Organization]:
    """Organizations whose names, acronyms or description match `text`, annotated with `relevance`.

    On PostgreSQL: a trigram word match on names and acronyms, so that a misspelling still
    finds ("Transparancy" finds "Transparency International"), or a full-text match on the
    whole text. Relevance is the names' similarity plus their text rank: a match in the name
    comes before a mention in the description. On SQLite: every word must appear somewhere
    in the text, ignoring case, or resemble a word of the names; relevance is constant.
    `engine` picks the strategy (default: the database's); tests use it to run the
    portable strategy on PostgreSQL too.
    """
    text = " ".join(text.split())
    if not text:
        return queryset
    if (engine or connection.vendor) == "postgresql":
        query = SimpleWebQuery(Value(text))
        # Both conditions use their GIN index, but every candidate row is checked again, left
        # to right: the cheap trigram test first spares most rows the to_tsvector of the whole
        # text. The rank reads the short names, not the whole text, for the same reason
        # (docs/search-explain.md has the timings).
        return queryset.filter(
            Q(search_names__trigram_word_similar=text) | Q(Matches(SimpleVector(F("search_text")), query))
        ).annotate(relevance=TsRank(SimpleVector(F("search_names")), query) + TrigramWordSimilarity(text, "search_names"))
    words = text.lower().split()
    matching = queryset
    for word in words:
        matching = matching.filter(search_text__icontains=word)
    # SQLite has no trigram index: the embedded default's few hundred names are compared in
    # Python instead, so that a misspelling still finds there too.
    misspelt = [
        pk
        for pk, names in queryset.values_list("pk", "search_names")[:SQLITE_FUZZY_LIMIT]
        if _resembles(words, names.lower().split())
    ]
    return queryset.filter(Q(pk__in=matching.values("pk")) | Q(pk__in=misspelt)).annotate(
        relevance=Value(0.0, output_field=FloatField())
    )


SQLITE_FUZZY_LIMIT = 5000
SQLITE_FUZZY_RATIO = 0.8


def _resembles(words: list[str], name_words: list[str]) -> bool:
    """Every searched word is close to some word of the names ("transparancy" ~ "transparency")."""
    return all(
        any(difflib.SequenceMatcher(None, word, name_word).ratio() >= SQLITE_FUZZY_RATIO for name_word in name_words)
        for word in words
    )


def history_of(organization: Organization) -> QuerySet[ActivityLog]:
    """Every logged change of one organization, newest first, with who made it."""
    return ActivityLog.objects.filter(
        content_type__app_label=Organization._meta.app_label,
        content_type__model=Organization._meta.model_name,
        object_id=str(organization.pk),
    ).select_related("actor").order_by("-created_at", "-id")


def directory_filter(user, data):
    """The directory's filters bound to `data` (request.GET) over what `user` may see.

    Its `.qs` is searched, filtered and sorted, and fetches what a row of the directory shows.
    """
    from .filters import OrganizationFilter

    return OrganizationFilter(
        data,
        queryset=organizations_visible_to(user).prefetch_related("thematic_areas"),
        user=user,
    )
