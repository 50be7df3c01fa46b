"""Participation statistics: what CSU reports every year, computed by the database.

Every figure is an aggregation (``aggregate``, ``values().annotate()``, conditional ``Count``),
so a session with 3,000 participants costs the same number of queries as one with three.
"Counted" means an approved participant of an approved registration: a registration approved
with some participants rejected counts only its approved participants.

Breakdowns where a small cell could point at a person (gender, nationality) are suppressed
for the public: counts from 1 to 4 read "fewer than 5", and where such a count could be worked
out from the total, the next smallest count is hidden too. CSU sees exact figures.
"""

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.signals import m2m_changed
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy as _, ngettext, pgettext_lazy
from django_countries import countries

from events.caching import public_version
from events.enums import SideEventStatus, SpeakerGender
from events.models import SideEvent, Speaker
from organizations.enums import EcosocStatus, RegionalGroup
from organizations.models import Organization, ThematicArea
from portal.caching import forget_on_change, replace_version

from .enums import Channel, Gender, ParticipantStatus, RegistrationStatus
from .models import Commission, Participant, Registration, Session

# Below this, a count of people by gender or nationality could point at someone.
SMALL_CELL = 5
COUNTED = Q(status=ParticipantStatus.APPROVED, registration__status=RegistrationStatus.APPROVED)
ORGANIZATION = "registration__organization"
REGIONAL_GROUP_COUNT = len(RegionalGroup)


def counted_participants() -> QuerySet[Participant]:
    """Approved participants of approved registrations: the people a session welcomed."""
    return Participant.objects.filter(COUNTED)


# --- Cells that may be suppressed --------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A count as shown: exact, or suppressed ("fewer than 5", or hidden so the other cannot be worked out)."""

    value: int
    suppressed: str = ""  # "", "small" or "complementary"

    @property
    def shown(self) -> int | None:
        return None if self.suppressed else self.value

    def __str__(self) -> str:
        if self.suppressed == "small":
            return str(pgettext_lazy("statistics", "fewer than 5"))
        if self.suppressed == "complementary":
            return str(pgettext_lazy("statistics", "not shown"))
        return str(self.value)

    @property
    def export_value(self) -> int | str:
        return str(self) if self.suppressed else self.value


def suppress(values: Sequence[int], *, exact: bool) -> list[Cell]:
    """The counts as cells: exact for CSU; for the public, counts from 1 to 4 suppressed.

    The total of a breakdown is public, so a single suppressed count could be worked out by
    subtraction: then the smallest count still shown is hidden as well.
    """
    if exact:
        return [Cell(value) for value in values]
    cells = [Cell(value, "small" if 0 < value < SMALL_CELL else "") for value in values]
    if sum(1 for cell in cells if cell.suppressed) == 1:
        candidates = [index for index, cell in enumerate(cells) if not cell.suppressed and cell.value > 0]
        if candidates:
            smallest = min(candidates, key=lambda index: cells[index].value)
            cells[smallest] = Cell(cells[smallest].value, "complementary")
    return cells


# --- One session ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: what it is, how many organizations and representatives."""

    key: str
    label: str
    organizations: int
    representatives: int


@dataclass
class SessionStatistics:
    session: Session
    representatives: int = 0
    organizations: int = 0
    countries: int = 0
    regional_groups: int = 0
    genders: list[tuple[str, str, int]] = field(default_factory=list)  # (value, label, count)
    by_regional_group: list[Row] = field(default_factory=list)
    by_ecosoc_status: list[Row] = field(default_factory=list)
    by_channel: list[Row] = field(default_factory=list)
    by_umbrella_body: list[Row] = field(default_factory=list)
    nationalities: list[tuple[str, str, int]] = field(default_factory=list)  # (code, name, count)
    first_time_organizations: list[Organization] = field(default_factory=list)
    side_events: int = 0
    side_events_scheduled: int = 0
    side_event_themes: list[tuple[str, int]] = field(default_factory=list)  # (theme, events)
    speakers: list[tuple[str, str, int]] = field(default_factory=list)  # (gender, label, count)
    panels: list[tuple[str, str, int]] = field(default_factory=list)  # (kind, label, events)

    @property
    def sentence(self) -> str:
        return participation_sentence(self)


def _breakdown(participants: QuerySet[Participant], key: str, choices: Iterable[tuple[str, str]]) -> list[Row]:
    """Organizations and representatives per value of `key`, in the order of `choices`, present values only."""
    found = {
        row[key]: row
        for row in participants.order_by()
        .values(key)
        .annotate(organizations=Count(ORGANIZATION, distinct=True), representatives=Count("pk"))
    }
    rows = []
    for value, label in choices:
        if value in found:
            rows.append(Row(value, str(label), found[value]["organizations"], found[value]["representatives"]))
    return rows


def _gender_counts(aggregates: dict, prefix: str, choices) -> list[tuple[str, str, int]]:
    return [(value, str(label), aggregates[f"{prefix}{value}"] or 0) for value, label in choices]


def session_statistics(session: Session) -> SessionStatistics:
    """Every figure of one session's statistics page, in a fixed number of queries (ten).

    The session's approved registrations are read first and their ids given to every later query: filtered by
    a join instead, PostgreSQL estimates the matching participants badly and reads the whole participant table
    for each figure (ten times slower with 400,000 participants).
    """
    approved = list(
        session.registrations.filter(status=RegistrationStatus.APPROVED).order_by().values_list("pk", flat=True)
    )
    participants = Participant.objects.filter(status=ParticipantStatus.APPROVED, registration_id__in=approved)
    stats = SessionStatistics(session=session)

    # 1. Totals and gender, in one row.
    totals = participants.aggregate(
        representatives=Count("pk"),
        organizations=Count(ORGANIZATION, distinct=True),
        countries=Count(f"{ORGANIZATION}__headquarters_country", distinct=True),
        regional_groups=Count(
            f"{ORGANIZATION}__regional_group", distinct=True, filter=~Q(**{f"{ORGANIZATION}__regional_group": ""})
        ),
        **{f"gender_{value}": Count("pk", filter=Q(gender=value)) for value in Gender.values},
    )
    stats.representatives = totals["representatives"]
    stats.organizations = totals["organizations"]
    stats.countries = totals["countries"]
    stats.regional_groups = totals["regional_groups"]
    stats.genders = _gender_counts(totals, "gender_", Gender.choices)

    # 2–4. Breakdowns by regional group, ECOSOC status, channel and umbrella body.
    stats.by_regional_group = _breakdown(participants, f"{ORGANIZATION}__regional_group", RegionalGroup.choices)
    stats.by_ecosoc_status = _breakdown(
        participants, f"{ORGANIZATION}__ecosoc_status", reversed(EcosocStatus.choices)
    )
    channel_rows = list(
        participants.order_by()
        .values("registration__channel", "registration__umbrella_body__acronym", "registration__umbrella_body__name")
        .annotate(organizations=Count(ORGANIZATION, distinct=True), representatives=Count("pk"))
        .order_by("registration__channel", "registration__umbrella_body__name")
    )
    by_channel: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in channel_rows:
        # An organization is in one registration per session, so the channels' organizations add up.
        by_channel[row["registration__channel"]][0] += row["organizations"]
        by_channel[row["registration__channel"]][1] += row["representatives"]
    stats.by_channel = [
        Row(value, str(label), *by_channel[value]) for value, label in Channel.choices if value in by_channel
    ]
    stats.by_umbrella_body = [
        Row(
            row["registration__umbrella_body__acronym"],
            row["registration__umbrella_body__name"],
            row["organizations"],
            row["representatives"],
        )
        for row in channel_rows
        if row["registration__channel"] == Channel.UMBRELLA
    ]

    # 5. Nationalities, most represented first.
    stats.nationalities = [
        (row["nationality"], countries.name(row["nationality"]) or row["nationality"], row["count"])
        for row in participants.order_by().values("nationality").annotate(count=Count("pk")).order_by("-count", "nationality")
    ]

    # 6. Organizations never counted at an earlier session of this commission.
    earlier = counted_participants().filter(
        registration__organization=OuterRef("pk"),
        registration__session__commission_id=session.commission_id,
        registration__session__start_date__lt=session.start_date,
    )
    stats.first_time_organizations = list(
        Organization.objects.filter(pk__in=participants.values(ORGANIZATION))
        .exclude(Exists(earlier))
        .order_by("name")
    )

    # 7–9. Side events: how many, their themes, their panels.
    events = SideEvent.objects.filter(session=session, status=SideEventStatus.ACCEPTED)
    women = Count("speakers", filter=Q(speakers__gender=SpeakerGender.FEMALE))
    men = Count("speakers", filter=Q(speakers__gender=SpeakerGender.MALE))
    event_totals = events.annotate(women=women, men=men).aggregate(
        events=Count("pk"),
        scheduled=Count("pk", filter=Q(slot__isnull=False)),
        mixed=Count("pk", filter=Q(women__gt=0, men__gt=0)),
        only_women=Count("pk", filter=Q(women__gt=0, men=0)),
        only_men=Count("pk", filter=Q(women=0, men__gt=0)),
        neither=Count("pk", filter=Q(women=0, men=0)),
    )
    stats.side_events = event_totals["events"] or 0
    stats.side_events_scheduled = event_totals["scheduled"] or 0
    stats.panels = [
        (kind, str(label), event_totals[kind] or 0)
        for kind, label in (
            ("mixed", _("Women and men on the panel")),
            ("only_women", _("Only women on the panel")),
            ("only_men", _("Only men on the panel")),
            ("neither", _("No woman or man listed")),
        )
    ]
    stats.side_event_themes = [
        (str(area), area.events)
        for area in ThematicArea.objects.annotate(
            events=Count("sideevent", filter=Q(sideevent__session=session, sideevent__status=SideEventStatus.ACCEPTED))
        )
        .filter(events__gt=0)
        .order_by("-events", "name")
    ]
    speaker_totals = Speaker.objects.filter(event__in=events).aggregate(
        **{f"speaker_{value}": Count("pk", filter=Q(gender=value)) for value in SpeakerGender.values}
    )
    stats.speakers = _gender_counts(speaker_totals, "speaker_", SpeakerGender.choices)
    return stats


# --- Cached figures -------------------------------------------------------------------------------------

# A session's figures read 400,000 participants' rows at UNODC scale: they are kept in the cache under three
# versions. The public programme's (events.caching) is replaced by any change to side events, their speakers and
# themes, sessions, commissions, organizations and thematic areas; the statistics' own by a change to an umbrella
# body (its name is shown); the session's by a change to one of its registrations or participants. Each is replaced
# at once and again when the transaction commits, so that figures counted meanwhile from the old rows are never kept
# under the new version. Versions are random, never counters that a cache which lost them would start again.
STATISTICS_SECONDS = 3600
EVERY_SESSION = "all"


def version_key(scope) -> str:
    """The key of one session's version (scope: its id), or of every session's (EVERY_SESSION)."""
    return f"sessions:statistics-version:{scope}"


def _versions(session_id: int) -> list[str]:
    keys = [version_key(EVERY_SESSION), version_key(session_id)]
    found = cache.get_many(keys)
    if len(found) < len(keys):
        for key in keys:
            if key not in found:
                cache.add(key, uuid.uuid4().hex, None)
        found = {**{key: uuid.uuid4().hex for key in keys}, **cache.get_many(keys)}
    return [found[key] for key in keys]


def cache_key(kind: str, session_id: int) -> str:
    """A key for something computed from one session's figures, in the current language, under their versions."""
    every, own = _versions(session_id)
    return f"sessions:statistics:{kind}:{session_id}:{public_version()}:{every}:{own}:{get_language()}"


def forget_statistics(session_id: int | None = None) -> None:
    """Forget one session's cached figures (or every session's, with None): now and when the transaction commits."""
    replace_version(version_key(EVERY_SESSION if session_id is None else session_id))


def cached_session_statistics(session: Session) -> SessionStatistics:
    """session_statistics(session), from the cache while nothing it counts has changed."""
    key = cache_key("session", session.pk)  # read before counting: a change meanwhile replaces it
    stats = cache.get(key)
    if stats is None:
        stats = session_statistics(session)
        cache.set(key, stats, STATISTICS_SECONDS)
    stats.session = session
    return stats


def cached_registration_status_counts(session: Session) -> dict[str, list[tuple[str, str, int]]]:
    """registration_status_counts(session), from the cache while no registration or participant changed."""
    key = cache_key("status", session.pk)
    counts = cache.get(key)
    if counts is None:
        counts = registration_status_counts(session)
        cache.set(key, counts, STATISTICS_SECONDS)
    return counts


def _session_of(instance) -> int | None:
    """The session whose figures a changed row is part of; None when it is not at hand (then every session's)."""
    if isinstance(instance, Registration):
        return instance.session_id
    # Participants are saved with their registration at hand; a query here would cost one per participant
    # saved, so without it every session's figures are forgotten instead.
    if Participant.registration.is_cached(instance):
        return instance.registration.session_id
    return None


def _forget_session_of(sender, instance, **_signal_arguments) -> None:
    forget_statistics(_session_of(instance))


def _forget_every_session(**_signal_arguments) -> None:
    forget_statistics(None)


def connect() -> None:
    """Called by the app's ready(): the models whose changes the public programme's version does not follow."""
    from umbrella.models import UmbrellaBody

    forget_on_change(_forget_session_of, (Registration, Participant), uid="sessions.statistics")
    forget_on_change(_forget_every_session, (UmbrellaBody,), uid="sessions.statistics")
    # Which bodies work with which commission: the review queue offers a session's bodies as a filter.
    m2m_changed.connect(
        _forget_every_session, sender=UmbrellaBody.commissions.through, dispatch_uid="sessions.statistics.body_commissions"
    )


# --- The sentence CSU writes ------------------------------------------------------------------------


def ordinal(number: int, language: str | None = None) -> str:
    """The session's number as an ordinal in the language: "70th", "70e", "70.º"."""
    language = (language or get_language() or "en").split("-")[0]
    if language == "fr":
        return "1re" if number == 1 else f"{number}e"
    if language == "es":
        return f"{number}.º"
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th')}"


def participation_sentence(stats: SessionStatistics) -> str:
    """ "At its 70th session, the CND welcomed 230 NGO representatives from 67 organizations in 41
    countries and all five regional groups." Each count carries its own plural form."""
    session = stats.session
    if not stats.representatives:
        return gettext("No NGO representatives were approved for the %(ordinal)s session of the %(commission)s.") % {
            "ordinal": ordinal(session.number),
            "commission": session.commission.abbreviation,
        }
    if stats.regional_groups == REGIONAL_GROUP_COUNT:
        groups = gettext("all five regional groups")
    else:
        groups = ngettext("%(count)d regional group", "%(count)d regional groups", stats.regional_groups) % {
            "count": stats.regional_groups
        }
    values = {
        "ordinal": ordinal(session.number),
        "commission": session.commission.abbreviation,
        "representatives": ngettext(
            "%(count)d NGO representative", "%(count)d NGO representatives", stats.representatives
        ) % {"count": stats.representatives},
        "organizations": ngettext("%(count)d organization", "%(count)d organizations", stats.organizations)
        % {"count": stats.organizations},
        "countries": ngettext("%(count)d country", "%(count)d countries", stats.countries) % {"count": stats.countries},
        "groups": groups,
    }
    if session.end_date >= timezone.localdate():
        return gettext(
            "For its %(ordinal)s session, the %(commission)s has so far approved %(representatives)s from "
            "%(organizations)s in %(countries)s and %(groups)s."
        ) % values
    return gettext(
        "At its %(ordinal)s session, the %(commission)s welcomed %(representatives)s from %(organizations)s in "
        "%(countries)s and %(groups)s."
    ) % values


def registration_status_counts(session: Session) -> dict[str, list[tuple[str, str, int]]]:
    """For CSU: the session's registrations per status, and the participants of approved ones per status."""
    # The registrations' statuses are counted here rather than by the database, so that the approved ones' ids
    # can be given to the participants' query (see session_statistics) without a third query.
    statuses = list(session.registrations.order_by().values_list("pk", "status"))
    registrations = Counter(status for _pk, status in statuses)
    approved = [pk for pk, status in statuses if status == RegistrationStatus.APPROVED]
    participants = dict(
        Participant.objects.filter(registration_id__in=approved)
        .order_by()
        .values_list("status")
        .annotate(count=Count("pk"))
    )
    return {
        "registrations": [
            (value, str(label), registrations[value]) for value, label in RegistrationStatus.choices if value in registrations
        ],
        "participants": [
            (value, str(label), participants.get(value, 0)) for value, label in ParticipantStatus.choices
        ],
    }


# --- Over the years -------------------------------------------------------------------------------


@dataclass
class TrendPoint:
    """One session's place in its commission's history."""

    session: Session
    representatives: int = 0
    organizations: int = 0
    countries: int = 0
    regional_groups: int = 0
    side_events: int = 0
    by_regional_group: dict[str, int] = field(default_factory=dict)  # group -> representatives
    genders: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def year(self) -> int:
        return self.session.start_date.year


def held_sessions(commission: Commission, today: date | None = None) -> QuerySet[Session]:
    """The commission's sessions that have begun, oldest first."""
    today = today or timezone.localdate()
    return commission.sessions.filter(start_date__lte=today).select_related("commission").order_by("start_date", "number")


def commission_trends(commission: Commission) -> list[TrendPoint]:
    """Each held session of the commission with its figures, oldest first; four queries however many sessions."""
    sessions = list(held_sessions(commission))
    points = {session.pk: TrendPoint(session=session) for session in sessions}
    participants = counted_participants().filter(registration__session__in=[session.pk for session in sessions])
    for row in (
        participants.order_by()
        .values("registration__session")
        .annotate(
            representatives=Count("pk"),
            organizations=Count(ORGANIZATION, distinct=True),
            countries=Count(f"{ORGANIZATION}__headquarters_country", distinct=True),
            regional_groups=Count(
                f"{ORGANIZATION}__regional_group", distinct=True, filter=~Q(**{f"{ORGANIZATION}__regional_group": ""})
            ),
            **{f"gender_{value}": Count("pk", filter=Q(gender=value)) for value in Gender.values},
        )
    ):
        point = points[row["registration__session"]]
        point.representatives = row["representatives"]
        point.organizations = row["organizations"]
        point.countries = row["countries"]
        point.regional_groups = row["regional_groups"]
        point.genders = _gender_counts(row, "gender_", Gender.choices)
    for row in (
        participants.order_by()
        .values("registration__session", f"{ORGANIZATION}__regional_group")
        .annotate(representatives=Count("pk"))
    ):
        points[row["registration__session"]].by_regional_group[row[f"{ORGANIZATION}__regional_group"]] = row[
            "representatives"
        ]
    for session_id, count in (
        SideEvent.objects.filter(session__in=list(points), status=SideEventStatus.ACCEPTED)
        .order_by()
        .values_list("session")
        .annotate(count=Count("pk"))
    ):
        points[session_id].side_events = count
    for point in points.values():
        if not point.genders:
            point.genders = [(value, str(label), 0) for value, label in Gender.choices]
    return list(points.values())


# --- Two sessions side by side (CSU) -----------------------------------------------------------------


class Change(int):
    """A difference between two figures, shown with its sign ("+6", "-2", "0")."""

    def __str__(self) -> str:
        return f"{int(self):+d}" if self else "0"


@dataclass(frozen=True)
class ComparedRow:
    label: str
    first: int
    second: int

    @property
    def difference(self) -> int:
        return self.second - self.first


def compare_rows(first: Iterable[Row], second: Iterable[Row], attribute: str = "representatives") -> list[ComparedRow]:
    """Two breakdowns lined up by key, in the order the keys first appear."""
    labels: dict[str, str] = {}
    values: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for index, rows in enumerate((first, second)):
        for row in rows:
            labels.setdefault(row.key, row.label)
            values[row.key][index] = getattr(row, attribute)
    return [ComparedRow(labels[key], *values[key]) for key in labels]


def comparison(first: SessionStatistics, second: SessionStatistics) -> dict[str, list[ComparedRow]]:
    """The figures of two sessions side by side, with the change from the first to the second."""
    figures = [
        ComparedRow(gettext("NGO representatives"), first.representatives, second.representatives),
        ComparedRow(gettext("Organizations"), first.organizations, second.organizations),
        ComparedRow(gettext("Countries"), first.countries, second.countries),
        ComparedRow(gettext("Regional groups"), first.regional_groups, second.regional_groups),
        ComparedRow(
            gettext("First-time organizations"), len(first.first_time_organizations), len(second.first_time_organizations)
        ),
        ComparedRow(gettext("Side events"), first.side_events, second.side_events),
    ]
    genders = [
        ComparedRow(label, count, second_count)
        for (_value, label, count), (_same, _label, second_count) in zip(first.genders, second.genders)
    ]
    return {
        "figures": figures,
        "regional_groups": compare_rows(first.by_regional_group, second.by_regional_group),
        "ecosoc_status": compare_rows(first.by_ecosoc_status, second.by_ecosoc_status),
        "channels": compare_rows(first.by_channel, second.by_channel),
        "umbrella_bodies": compare_rows(first.by_umbrella_body, second.by_umbrella_body),
        "gender": genders,
    }


def find_session(reference: str) -> Session | None:
    """A session by its id ("12") or by commission and number ("cnd-70")."""
    sessions = Session.objects.select_related("commission")
    reference = (reference or "").strip().lower()
    if reference.isdigit():
        return sessions.filter(pk=int(reference)).first()
    code, _dash, number = reference.rpartition("-")
    if code and number.isdigit():
        return sessions.filter(commission__code=code, number=int(number)).first()
    return None


# --- An umbrella body's members ------------------------------------------------------------------------


@dataclass(frozen=True)
class BodySessionRow:
    """One session seen from an umbrella body: its delegation, and its members whichever way they came."""

    session_id: int
    title: str
    commission: str
    number: int
    start_date: date
    organizations_through_body: int
    representatives_through_body: int
    member_organizations: int
    member_representatives: int

    @property
    def label(self) -> str:
        return f"{self.commission} {self.number}"


def body_participation(body) -> list[BodySessionRow]:
    """Per session of the body's commissions, oldest first: the organizations and representatives in the body's
    delegation, and its current members' participation (through the body or directly). One query."""
    from umbrella.selectors import MEMBER_STATUSES

    members = body.memberships.filter(status__in=MEMBER_STATUSES).values("organization_id")
    through_body = Q(registration__umbrella_body=body)
    member = Q(registration__organization__in=members)
    rows = (
        counted_participants()
        .filter(through_body | member, registration__session__commission__in=body.commissions.values("pk"))
        .order_by()
        .values(
            "registration__session",
            "registration__session__title",
            "registration__session__commission__abbreviation",
            "registration__session__number",
            "registration__session__start_date",
        )
        .annotate(
            organizations_through_body=Count(ORGANIZATION, filter=through_body, distinct=True),
            representatives_through_body=Count("pk", filter=through_body),
            member_organizations=Count(ORGANIZATION, filter=member, distinct=True),
            member_representatives=Count("pk", filter=member),
        )
        .order_by("registration__session__start_date", "registration__session__number")
    )
    return [
        BodySessionRow(
            session_id=row["registration__session"],
            title=row["registration__session__title"],
            commission=row["registration__session__commission__abbreviation"],
            number=row["registration__session__number"],
            start_date=row["registration__session__start_date"],
            organizations_through_body=row["organizations_through_body"],
            representatives_through_body=row["representatives_through_body"],
            member_organizations=row["member_organizations"],
            member_representatives=row["member_representatives"],
        )
        for row in rows
    ]


def members_attendance(body) -> QuerySet[Organization]:
    """The body's current members with the sessions of the body's commissions they attended and the
    representatives they sent there; one query."""
    from umbrella.selectors import MEMBER_STATUSES

    attended = counted_participants().filter(
        registration__organization=OuterRef("pk"), registration__session__commission__in=body.commissions.values("pk")
    )

    def per_organization(aggregate):
        return Coalesce(
            Subquery(
                attended.order_by().values("registration__organization").annotate(value=aggregate).values("value"),
                output_field=IntegerField(),
            ),
            0,
        )

    return (
        Organization.objects.filter(umbrella_memberships__body=body, umbrella_memberships__status__in=MEMBER_STATUSES)
        .annotate(
            sessions_attended=per_organization(Count("registration__session", distinct=True)),
            representatives_sent=per_organization(Count("pk")),
            through_body=per_organization(Count("registration__session", distinct=True, filter=Q(registration__umbrella_body=body))),
        )
        .order_by("-sessions_attended", "name")
    )


# --- Tables: what the pages show beside the charts, and what the exports contain ---------------------------


@dataclass
class Table:
    """One table of figures: shown on the page (with a chart when it has one) and exportable as CSV and XLSX."""

    key: str  # part of the export's address
    title: str
    header: list[str]
    rows: list[list]  # cells: str, int or Cell
    chart: str = ""  # "", "bar" (first column against `columns[0]`) or "line" (each of `columns` over the first)
    columns: tuple[int, ...] = (1,)
    csu_only: bool = False
    note: str = ""

    def export_rows(self) -> list[list[str | int]]:
        return [
            [cell.export_value if isinstance(cell, Cell) else int(cell) if isinstance(cell, int) else cell for cell in row]
            for row in self.rows
        ]


def _breakdown_table(key, title, first_column, rows: list[Row], all_choices=None) -> Table:
    found = {row.key: row for row in rows}
    if all_choices is not None:
        rows = [found.get(value, Row(value, str(label), 0, 0)) for value, label in all_choices] + [
            row for row in rows if row.key not in dict(all_choices)
        ]
    return Table(
        key=key,
        title=title,
        header=[first_column, gettext("Organizations"), gettext("NGO representatives")],
        rows=[[row.label, row.organizations, row.representatives] for row in rows],
        chart="bar",
        columns=(2,),
    )


def _suppressed_table(key, title, first_column, count_column, counts: list[tuple[str, str, int]], *, exact, chart="bar"):
    cells = suppress([count for _value, _label, count in counts], exact=exact)
    return Table(
        key=key, title=title, header=[first_column, count_column],
        rows=[[label, cell] for (_value, label, _count), cell in zip(counts, cells)], chart=chart,
    )  # fmt: skip


def session_tables(stats: SessionStatistics, *, exact: bool, status_counts=None) -> list[Table]:
    """The tables of one session's statistics; gender and nationality counts suppressed unless `exact`."""
    nationalities = suppress([count for _code, _name, count in stats.nationalities], exact=exact)
    tables = [
        Table(
            key="summary",
            title=gettext("Participation at a glance"),
            header=[gettext("Figure"), gettext("Number")],
            rows=[
                [gettext("NGO representatives"), stats.representatives],
                [gettext("Organizations"), stats.organizations],
                [gettext("Countries (organizations' headquarters)"), stats.countries],
                [gettext("Regional groups"), stats.regional_groups],
                [gettext("First-time organizations"), len(stats.first_time_organizations)],
                [gettext("Side events accepted"), stats.side_events],
                [gettext("Side events scheduled"), stats.side_events_scheduled],
            ],
        ),
        _breakdown_table(
            "regional-groups", gettext("By UN regional group"), gettext("Regional group"), stats.by_regional_group,
            RegionalGroup.choices,
        ),  # fmt: skip
        _suppressed_table(
            "gender", gettext("NGO representatives by gender"), gettext("Gender"), gettext("NGO representatives"),
            stats.genders, exact=exact,
        ),  # fmt: skip
        _breakdown_table(
            "ecosoc-status", gettext("By ECOSOC consultative status"), gettext("ECOSOC status"), stats.by_ecosoc_status
        ),
        _breakdown_table("channels", gettext("Directly or through an umbrella body"), gettext("Channel"), stats.by_channel),
        _breakdown_table(
            "umbrella-bodies", gettext("Through each umbrella body"), gettext("Umbrella body"), stats.by_umbrella_body
        ),
        Table(
            key="nationalities",
            title=gettext("NGO representatives by nationality"),
            header=[gettext("Nationality"), gettext("NGO representatives")],
            rows=[[name, cell] for (_code, name, _count), cell in zip(stats.nationalities, nationalities)],
        ),
        Table(
            key="first-time-organizations",
            title=gettext("Organizations at this commission for the first time"),
            header=[gettext("Organization"), gettext("Acronym"), gettext("Headquarters country"), gettext("Regional group")],
            rows=[
                [
                    organization.name,
                    organization.acronym,
                    organization.headquarters_country.name,
                    organization.get_regional_group_display(),
                ]
                for organization in stats.first_time_organizations
            ],
        ),
        Table(
            key="side-event-themes",
            title=gettext("Side events by theme"),
            header=[gettext("Theme"), gettext("Side events")],
            rows=[[theme, count] for theme, count in stats.side_event_themes],
            chart="bar",
            note=gettext("An event may have several themes."),
        ),
        _suppressed_table(
            "panels", gettext("Gender balance of side-event panels"), gettext("Panel"), gettext("Side events"),
            stats.panels, exact=exact,
        ),  # fmt: skip
        _suppressed_table(
            "speakers", gettext("Side-event speakers by gender"), gettext("Gender"), gettext("Speakers"),
            stats.speakers, exact=exact,
        ),  # fmt: skip
    ]
    if status_counts is not None:
        tables += [
            Table(
                key="registration-status",
                title=gettext("Registrations by status"),
                header=[gettext("Status"), gettext("Registrations")],
                rows=[[label, count] for _value, label, count in status_counts["registrations"]],
                csu_only=True,
            ),
            Table(
                key="participant-status",
                title=gettext("Participants of approved registrations by decision"),
                header=[gettext("Decision"), gettext("Participants")],
                rows=[[label, count] for _value, label, count in status_counts["participants"]],
                csu_only=True,
            ),
        ]
    return tables


def trend_tables(points: list[TrendPoint], *, exact: bool) -> list[Table]:
    """The tables of a commission's history; the gender table only with `exact` (CSU)."""

    def name(point: TrendPoint) -> str:
        return f"{point.session.number} ({point.year})"

    tables = [
        Table(
            key="participation",
            title=gettext("Participation per session"),
            header=[
                gettext("Session (year)"), gettext("NGO representatives"), gettext("Organizations"), gettext("Countries"),
                gettext("Regional groups"),
            ],
            rows=[
                [name(point), point.representatives, point.organizations, point.countries, point.regional_groups]
                for point in points
            ],
            chart="line",
            columns=(1, 2),
        ),  # fmt: skip
        Table(
            key="regional-groups",
            title=gettext("NGO representatives per regional group"),
            header=[gettext("Session (year)"), *(str(label) for _value, label in RegionalGroup.choices)],
            rows=[[name(point), *(point.by_regional_group.get(value, 0) for value in RegionalGroup.values)] for point in points],
            chart="line",
            columns=tuple(range(1, len(RegionalGroup) + 1)),
        ),
        Table(
            key="side-events",
            title=gettext("Side events per session"),
            header=[gettext("Session (year)"), gettext("Side events accepted")],
            rows=[[name(point), point.side_events] for point in points],
            chart="line",
        ),
    ]
    if exact:
        tables.append(
            Table(
                key="gender",
                title=gettext("NGO representatives by gender per session"),
                header=[gettext("Session (year)"), *(str(label) for _value, label in Gender.choices)],
                rows=[[name(point), *(count for _value, _label, count in point.genders)] for point in points],
                chart="line",
                columns=tuple(range(1, len(Gender) + 1)),
                csu_only=True,
            )
        )
    return tables


def comparison_tables(first: SessionStatistics, second: SessionStatistics) -> list[Table]:
    """Two sessions side by side (CSU: exact figures)."""
    header_a = f"{first.session.commission.abbreviation} {first.session.number}"
    header_b = f"{second.session.commission.abbreviation} {second.session.number}"
    titles = {
        "figures": (gettext("Figures"), gettext("Figure")),
        "regional_groups": (gettext("NGO representatives by UN regional group"), gettext("Regional group")),
        "ecosoc_status": (gettext("NGO representatives by ECOSOC consultative status"), gettext("ECOSOC status")),
        "channels": (gettext("NGO representatives directly or through an umbrella body"), gettext("Channel")),
        "umbrella_bodies": (gettext("NGO representatives through each umbrella body"), gettext("Umbrella body")),
        "gender": (gettext("NGO representatives by gender"), gettext("Gender")),
    }
    return [
        Table(
            key=key.replace("_", "-"),
            title=titles[key][0],
            header=[titles[key][1], header_a, header_b, gettext("Change")],
            rows=[[row.label, row.first, row.second, Change(row.difference)] for row in rows],
        )
        for key, rows in comparison(first, second).items()
    ]


def body_tables(sessions: list[BodySessionRow], members) -> list[Table]:
    """An umbrella body's participation: per session, and per current member."""
    return [
        Table(
            key="sessions",
            title=gettext("Participation per session"),
            header=[
                gettext("Session"), gettext("Organizations through the body"), gettext("NGO representatives through the body"),
                gettext("Members attending"), gettext("Members' NGO representatives"),
            ],
            rows=[
                [
                    row.label, row.organizations_through_body, row.representatives_through_body, row.member_organizations,
                    row.member_representatives,
                ]
                for row in sessions
            ],
            chart="line",
            columns=(2, 4),
        ),  # fmt: skip
        Table(
            key="members",
            title=gettext("Current members: sessions attended"),
            header=[
                gettext("Organization"), gettext("Sessions attended"), gettext("Of which through the body"),
                gettext("NGO representatives sent"),
            ],
            rows=[
                [organization.name, organization.sessions_attended, organization.through_body, organization.representatives_sent]
                for organization in members
            ],
        ),  # fmt: skip
    ]
