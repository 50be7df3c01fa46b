"""Finding organizations that are probably the same: before registering one, and for CSU's list."""

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .enums import VerificationState
from .models import Organization

# Addresses at these domains say nothing about which organization someone belongs to.
SHARED_MAIL_DOMAINS = frozenset(
    "gmail.com googlemail.com yahoo.com yahoo.fr hotmail.com hotmail.fr outlook.com live.com "
    "aol.com icloud.com mail.ru yandex.ru gmx.de gmx.net web.de proton.me protonmail.com "
    "qq.com 163.com orange.fr free.fr laposte.net".split()
)
NAME_SIMILARITY = 0.5  # trigram similarity of names above which two records look alike


@dataclass
class Likeness:
    """Why one organization looks like another (or like what someone is typing)."""

    organization: Organization
    reasons: list[str] = field(default_factory=list)
    similarity: float = 0.0


@dataclass
class DuplicatePair:
    first: Organization
    second: Organization
    reasons: list[str]


def website_domain(url: str) -> str:
    """'https://www.hra.example/about' -> 'hra.example'."""
    if not url:
        return ""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    return host.removeprefix("www.").lower()


def email_domain(address: str) -> str:
    domain = address.rpartition("@")[2].lower().strip()
    return "" if domain in SHARED_MAIL_DOMAINS else domain


PORTABLE_LIMIT = 2000  # names compared in Python where the database has no trigram index


def _normalized(name: str) -> str:
    return " ".join(name.lower().split())


def _ratio(first: str, second: str) -> float:
    return difflib.SequenceMatcher(None, first, second).ratio() if first and second else 0.0


def _has_trigram_index(engine: str | None) -> bool:
    return (engine or connection.vendor) == "postgresql"


def likely_duplicates(
    *,
    name: str,
    acronym: str = "",
    website: str = "",
    email: str = "",
    exclude_pk: int | None = None,
    limit: int = 5,
    engine: str | None = None,
) -> list[Likeness]:
    """Existing organizations that look like the one described, most alike first.

    `engine` picks how names are compared (default: the database's); tests use it to run
    the portable comparison on PostgreSQL too.
    """
    found: dict[int, Likeness] = {}

    def add(organization, reason, similarity=0.0):
        likeness = found.setdefault(organization.pk, Likeness(organization))
        likeness.reasons.append(reason)
        likeness.similarity = max(likeness.similarity, similarity)

    candidates = Organization.objects.exclude(pk=exclude_pk).exclude(verification_state=VerificationState.REJECTED)
    if name.strip():
        if _has_trigram_index(engine):
            similar = (
                candidates.filter(search_names__trigram_similar=name)
                .annotate(similarity=TrigramSimilarity("search_names", name))
                .filter(similarity__gte=NAME_SIMILARITY - 0.2)
                .order_by("-similarity")[:limit]
            )
            for organization in similar:
                add(organization, _("similar name"), organization.similarity)
        else:
            # No trigram index: the embedded default's few hundred names are compared in Python.
            wanted = _normalized(name)
            similar = {}
            for pk, other_name, other_name_en in candidates.values_list("pk", "name", "name_en")[:PORTABLE_LIMIT]:
                similarity = max(_ratio(wanted, _normalized(other_name)), _ratio(wanted, _normalized(other_name_en)))
                if similarity >= NAME_SIMILARITY + 0.3:
                    similar[pk] = similarity
            best = sorted(similar, key=similar.get, reverse=True)[:limit]
            for pk, organization in Organization.objects.in_bulk(best).items():
                add(organization, _("similar name"), similar[pk])
    if acronym.strip():
        for organization in candidates.filter(Q(acronym__iexact=acronym.strip()) | Q(acronym_en__iexact=acronym.strip()))[:limit]:
            add(organization, _("same acronym"), 0.9)
    domain = website_domain(website)
    if domain:
        for organization in candidates.filter(website__icontains=domain)[: limit * 2]:
            if website_domain(organization.website) == domain:
                add(organization, _("same website"), 1.0)
    domain = email_domain(email)
    if domain:
        for organization in candidates.filter(Q(email__iendswith=f"@{domain}") | Q(website__icontains=domain))[: limit * 2]:
            if email_domain(organization.email) == domain or website_domain(organization.website) == domain:
                add(organization, _("same e-mail domain"), 0.8)
    return sorted(found.values(), key=lambda likeness: (-len(likeness.reasons), -likeness.similarity))[:limit]


def duplicate_pairs(*, limit: int = 200, engine: str | None = None) -> list[DuplicatePair]:
    """Pairs of organizations in the database that are probably the same, with why."""
    reasons: dict[tuple[int, int], list[str]] = defaultdict(list)
    active = Organization.objects.exclude(verification_state__in=[VerificationState.REJECTED, VerificationState.ARCHIVED])

    def pair(a: int, b: int, reason: str):
        key = (min(a, b), max(a, b))
        if reason not in reasons[key]:
            reasons[key].append(reason)

    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, acronym, website, email in active.values_list("pk", "acronym", "website", "email").iterator(chunk_size=5000):
        if acronym.strip():
            groups[("acronym", acronym.strip().lower())].append(pk)
        if domain := website_domain(website):
            groups[("website", domain)].append(pk)
        if domain := email_domain(email):
            groups[("email", domain)].append(pk)
    labels = {"acronym": _("same acronym"), "website": _("same website"), "email": _("same e-mail domain")}
    for (kind, _value), pks in groups.items():
        if 1 < len(pks) <= 20:  # a value shared by dozens is a common word, not a duplicate
            for i, a in enumerate(pks):
                for b in pks[i + 1 :]:
                    pair(a, b, labels[kind])

    if _has_trigram_index(engine):
        with transaction.atomic(), connection.cursor() as cursor:
            # The % operator uses the trigram index on search_names; the threshold is set for this query only.
            cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(NAME_SIMILARITY)])
            cursor.execute(
                """
                SELECT a.id, b.id, similarity(a.name, b.name)
                FROM organizations_organization a
                JOIN organizations_organization b ON a.id < b.id AND a.search_names %% b.search_names
                WHERE a.verification_state NOT IN ('rejected', 'archived')
                  AND b.verification_state NOT IN ('rejected', 'archived')
                  AND similarity(a.name, b.name) >= %s
                ORDER BY 3 DESC
                LIMIT %s
                """,
                [NAME_SIMILARITY, limit],
            )
            for a, b, similarity in cursor.fetchall():
                pair(a, b, _("similar name (%(percent)s%%)") % {"percent": round(similarity * 100)})
    else:
        names = [(pk, _normalized(name)) for pk, name in active.values_list("pk", "name")[:PORTABLE_LIMIT]]
        for i, (a, first) in enumerate(names):
            for b, second in names[i + 1 :]:
                similarity = _ratio(first, second)
                if similarity >= NAME_SIMILARITY + 0.3:
                    pair(a, b, _("similar name (%(percent)s%%)") % {"percent": round(similarity * 100)})

    ranked = sorted(reasons.items(), key=lambda item: -len(item[1]))[:limit]
    wanted = {pk for key, _reasons in ranked for pk in key}
    organizations = Organization.objects.in_bulk(wanted)
    return [
        DuplicatePair(organizations[a], organizations[b], why)
        for (a, b), why in ranked
        if a in organizations and b in organizations
    ]
