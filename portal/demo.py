"""Demo data for the embedded default: commissions, sessions around today, organizations, one account per role.

`load_demo_data()` is idempotent: every row is keyed on its natural key, so loading it on
every start changes nothing and duplicates nothing. Reference data (commissions, umbrella
bodies, sessions) is brought back to what is written here; organizations and accounts are
only created when missing, so what a tester changes in the demo survives a restart.
"""

import calendar
import random
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from events.enums import SideEventStatus
from events.models import Room, SideEvent, Slot, Speaker
from organizations.enums import EcosocStatus, MemberRole, VerificationState
from organizations.models import Organization, OrganizationMember, ThematicArea
from sessions.enums import AdmissionRule, RegistrationStatus, SessionFormat
from sessions.models import Commission, Participant, Registration, Session
from umbrella.enums import MembershipStatus
from umbrella.models import Coordinator, MembershipCategory, UmbrellaBody, UmbrellaMembership

from .models import ActivityLog, User
from .services import log_activity

DEMO_PASSWORD = "portal-demo-2026"

VIENNA = zoneinfo.ZoneInfo("Europe/Vienna")
VIC = "Vienna International Centre, Vienna"
TO_BE_ANNOUNCED = "To be announced"

# The Django admin is for CSU staff: they get every permission of the portal's own apps.
CSU_STAFF_APPS = ["portal", "organizations", "umbrella", "commission_sessions", "events"]


# --- Commissions and umbrella bodies -------------------------------------------------


@dataclass(frozen=True)
class CommissionData:
    code: str
    abbreviation: str
    name: str
    admission_rule: str


COMMISSIONS = [
    CommissionData("cnd", "CND", "Commission on Narcotic Drugs", AdmissionRule.ECOSOC_REQUIRED),
    CommissionData(
        "ccpcj", "CCPCJ", "Commission on Crime Prevention and Criminal Justice", AdmissionRule.ECOSOC_REQUIRED
    ),
    CommissionData(
        "cop-untoc",
        "COP-UNTOC",
        "Conference of the Parties to the United Nations Convention against Transnational Organized Crime",
        AdmissionRule.RULE_17,
    ),
    CommissionData(
        "cosp",
        "UNCAC COSP",
        "Conference of the States Parties to the United Nations Convention against Corruption",
        AdmissionRule.RULE_17,
    ),
    CommissionData(
        "congress", "Crime Congress", "United Nations Congress on Crime Prevention and Criminal Justice", AdmissionRule.CONGRESS
    ),
]


@dataclass(frozen=True)
class UmbrellaBodyData:
    slug: str
    acronym: str
    name: str
    founded: int
    website: str
    commission_codes: tuple[str, ...]
    email: str
    aims: str
    categories: tuple[tuple[str, str], ...]  # (name, description), in the order shown


UMBRELLA_BODIES = [
    UmbrellaBodyData(
        "vngoc", "VNGOC", "Vienna NGO Committee on Drugs", 1983, "https://vngoc.org/", ("cnd",),
        "secretariat@vngoc.example",
        "Links non-governmental organizations with the Commission on Narcotic Drugs, UNODC and the "
        "International Narcotics Control Board, so that civil society is heard in drug policy made in Vienna.",
        (
            ("Full member", "NGOs with ECOSOC consultative status; vote at the general assembly"),
            ("Associate member", "NGOs without ECOSOC status, and networks working on drug policy"),
        ),
    ),
    UmbrellaBodyData(
        "uncac-coalition", "UNCAC Coalition", "UNCAC Coalition", 2006, "https://uncaccoalition.org/", ("cosp",),
        "info@uncaccoalition.example",
        "A global network of civil-society organizations that promotes the ratification, implementation "
        "and monitoring of the United Nations Convention against Corruption.",
        (
            ("International member", "Organizations working in several countries or worldwide"),
            ("National member", "Organizations working in one country"),
        ),
    ),
    UmbrellaBodyData(
        "alliance",
        "Alliance",
        "Alliance of NGOs on Crime Prevention and Criminal Justice",
        1972,
        "https://www.cpcjalliance.org/",
        ("ccpcj", "congress", "cop-untoc"),
        "contact@cpcjalliance.example",
        "Brings together NGOs that work on crime prevention and criminal justice, and carries their "
        "expertise to the Crime Commission, the Crime Congress and the Conference of the Parties to UNTOC.",
        (
            ("Full member", "NGOs with ECOSOC consultative status"),
            ("Affiliate member", "NGOs without ECOSOC status"),
        ),
    ),
]

# Demo memberships: (organization slug, body slug, category position, status). Created once.
DEMO_MEMBERSHIPS = [
    ("khrn", "vngoc", 0, "active"),
    ("ibpd", "vngoc", 0, "active"),
    ("uhrl", "vngoc", 0, "active"),
    ("wvs", "vngoc", 0, "active"),
    ("inedp", "vngoc", 0, "active"),
    ("remereda", "vngoc", 1, "active"),
    ("tcha", "vngoc", 1, "active"),
    ("bcdp", "vngoc", 1, "applied"),
    ("lcjr", "alliance", 0, "active"),
    ("cecs", "alliance", 0, "active"),
    ("cfpd", "alliance", 0, "active"),
    ("pccjr", "alliance", 0, "active"),
    ("ccpd", "alliance", 0, "active"),
    ("dno", "alliance", 1, "active"),
    ("pnrj", "alliance", 1, "applied"),
    ("wnaoc", "uncac-coalition", 0, "active"),
    ("aip", "uncac-coalition", 1, "active"),
    ("caacf", "uncac-coalition", 1, "active"),
    ("jyjc", "uncac-coalition", 1, "applied"),
]


# --- Sessions ------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPlan:
    code: str
    number: int
    start_date: date
    end_date: date
    venue: str = VIC
    time_zone: str = "Europe/Vienna"
    format: str = SessionFormat.HYBRID


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (0 = Monday) of a month; n = -1 is the last one."""
    days = [day for day in calendar.Calendar().itermonthdates(year, month) if day.month == month and day.weekday() == weekday]
    return days[n if n < 0 else n - 1]


def _week_from(start: date, days: int = 5) -> tuple[date, date]:
    return start, start + timedelta(days=days - 1)


def cnd_session(year: int) -> SessionPlan:
    # Regular session each March in Vienna; the 69th was in March 2026.
    start, end = _week_from(nth_weekday(year, 3, calendar.MONDAY, 2))
    return SessionPlan("cnd", year - 1957, start, end)


def ccpcj_session(year: int) -> SessionPlan:
    # Each May in Vienna; the 35th was in May 2026.
    start, end = _week_from(nth_weekday(year, 5, calendar.MONDAY, 3))
    return SessionPlan("ccpcj", year - 1991, start, end)


def cop_untoc_session(year: int) -> SessionPlan | None:
    # Every two years in October in Vienna; the 13th was in October 2026.
    if year % 2:
        return None
    start, end = _week_from(nth_weekday(year, 10, calendar.MONDAY, 2))
    return SessionPlan("cop-untoc", (year - 2000) // 2, start, end, format=SessionFormat.IN_PERSON)


# Host cities and dates already decided; later sessions are "to be announced".
COSP_HOSTS = {
    8: (date(2019, 12, 16), date(2019, 12, 20), "Abu Dhabi, United Arab Emirates", "Asia/Dubai"),
    9: (date(2021, 12, 13), date(2021, 12, 17), "Sharm El-Sheikh, Egypt", "Africa/Cairo"),
    10: (date(2023, 12, 11), date(2023, 12, 15), "Atlanta, United States of America", "America/New_York"),
    11: (date(2025, 12, 15), date(2025, 12, 19), "Doha, Qatar", "Asia/Qatar"),
}


def cosp_session(year: int) -> SessionPlan | None:
    # Every two years in December; the 11th was in Doha in December 2025.
    if year % 2 == 0:
        return None
    number = (year - 2003) // 2
    if number in COSP_HOSTS:
        start, end, venue, time_zone = COSP_HOSTS[number]
        return SessionPlan("cosp", number, start, end, venue, time_zone, SessionFormat.IN_PERSON)
    start, end = _week_from(nth_weekday(year, 12, calendar.MONDAY, 2))
    return SessionPlan("cosp", number, start, end, TO_BE_ANNOUNCED, format=SessionFormat.IN_PERSON)


CONGRESS_HOSTS = {
    14: (date(2021, 3, 7), date(2021, 3, 12), "Kyoto, Japan", "Asia/Tokyo"),
    15: (date(2026, 4, 25), date(2026, 4, 30), "Abu Dhabi, United Arab Emirates", "Asia/Dubai"),
}


def congress_session(year: int) -> SessionPlan | None:
    # Every five years since the 14th (Kyoto, March 2021, a year late because of the pandemic);
    # the 15th is in Abu Dhabi in April 2026.
    if year < 2021 or (year - 2021) % 5:
        return None
    number = 14 + (year - 2021) // 5
    if number in CONGRESS_HOSTS:
        start, end, venue, time_zone = CONGRESS_HOSTS[number]
        return SessionPlan("congress", number, start, end, venue, time_zone, SessionFormat.IN_PERSON)
    start, end = _week_from(nth_weekday(year, 4, calendar.SUNDAY, -1), days=6)
    return SessionPlan("congress", number, start, end, TO_BE_ANNOUNCED, format=SessionFormat.IN_PERSON)


# code -> (the session held in a year, if any; how many upcoming sessions to show)
SCHEDULES = {
    "cnd": (cnd_session, 2),
    "ccpcj": (ccpcj_session, 2),
    "cop-untoc": (cop_untoc_session, 1),
    "cosp": (cosp_session, 1),
    "congress": (congress_session, 1),
}


def sessions_around(today: date) -> list[SessionPlan]:
    """For each commission: the most recent past session and the next upcoming ones."""
    plans = []
    for schedule, upcoming_count in SCHEDULES.values():
        held = [plan for year in range(today.year - 6, today.year + 12) if (plan := schedule(year))]
        past = [plan for plan in held if plan.end_date < today]
        upcoming = [plan for plan in held if plan.end_date >= today]
        plans += past[-1:] + upcoming[:upcoming_count]
    return plans


def at_vienna(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=VIENNA)


def registration_window(start_date: date) -> tuple[datetime, datetime]:
    """Opens about four months before the session, closes four weeks before it at 23:59 Vienna time."""
    return at_vienna(start_date - timedelta(days=120), 9), at_vienna(start_date - timedelta(days=28), 23, 59)


def registration_windows(plans: list[SessionPlan], now: datetime) -> dict[SessionPlan, tuple[datetime, datetime]]:
    """The usual window of every session, widened for one if none would be open `now`.

    The demo must always have a session to register for, whatever day it is loaded on.
    """
    windows = {plan: registration_window(plan.start_date) for plan in plans}
    if any(opens <= now < closes for opens, closes in windows.values()):
        return windows
    today = timezone.localdate(now)
    # Far enough ahead that a week of registration still closes two weeks before it starts.
    soonest = min(
        (plan for plan in plans if plan.start_date >= today + timedelta(days=21)), key=lambda plan: plan.start_date
    )
    opens, closes = windows[soonest]
    windows[soonest] = (
        min(opens, at_vienna(today - timedelta(days=7), 9)),
        max(closes, at_vienna(today + timedelta(days=7), 23, 59)),
    )
    return windows


_ORDINAL_UNITS = [
    "", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
    "eighteenth", "nineteenth",
]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def ordinal_words(number: int) -> str:
    """'Sixty-ninth' for 69, as UN documents title their sessions (1 to 99; '100th' beyond)."""
    if not 0 < number < 100:
        return f"{number}th"
    if number < 20:
        words = _ORDINAL_UNITS[number]
    else:
        tens, unit = divmod(number, 10)
        words = f"{_TENS[tens]}-{_ORDINAL_UNITS[unit]}" if unit else _TENS[tens][:-1] + "ieth"
    return words.capitalize()


def session_title(commission: Commission, number: int) -> str:
    if commission.code == "congress":
        return f"{ordinal_words(number)} {commission.name}"
    return f"{ordinal_words(number)} session of the {commission.name}"


# --- Organizations -------------------------------------------------------------------


@dataclass(frozen=True)
class OrganizationData:
    name: str
    acronym: str
    country: str
    ecosoc_status: str = EcosocStatus.NONE
    ecosoc_year: int | None = None
    verification_state: str = VerificationState.VERIFIED

    @property
    def slug(self) -> str:
        return slugify(self.acronym)

    @property
    def website(self) -> str:
        return f"https://www.{self.slug}.example/"


NONE, ROSTER, SPECIAL, GENERAL = EcosocStatus.NONE, EcosocStatus.ROSTER, EcosocStatus.SPECIAL, EcosocStatus.GENERAL
PENDING, CHANGES_REQUESTED = VerificationState.PENDING, VerificationState.CHANGES_REQUESTED

# Fictional organizations, by UN regional group of their headquarters.
ORGANIZATIONS = [
    # African States
    OrganizationData("Kenya Harm Reduction Network", "KHRN", "KE", SPECIAL, 2015),
    OrganizationData("Lagos Centre for Justice and Rehabilitation", "LCJR", "NG", SPECIAL, 2011),
    OrganizationData("Cape Youth Recovery Trust", "CYRT", "ZA"),
    OrganizationData("Santé Communautaire et Prévention Sénégal", "SCPS", "SN", ROSTER, 2019),
    OrganizationData("Accra Integrity Watch", "AIW", "GH", verification_state=PENDING),
    OrganizationData("Association marocaine pour la réinsertion des détenus", "AMRD", "MA", SPECIAL, 2010),
    OrganizationData("Uganda Women Against Trafficking", "UWAT", "UG"),
    OrganizationData("Cameroon Legal Aid Initiative", "CLAI", "CM", verification_state=CHANGES_REQUESTED),
    # Asia-Pacific States
    OrganizationData("Mumbai Drug Policy Forum", "MDPF", "IN", SPECIAL, 2014),
    OrganizationData("Philippine Network for Restorative Justice", "PNRJ", "PH"),
    OrganizationData("Yayasan Pemulihan Nusantara", "YPN", "ID"),
    OrganizationData("Thai Community Health Alliance", "TCHA", "TH", ROSTER, 2016),
    OrganizationData("Nepal Youth Against Drugs", "NYAD", "NP", verification_state=PENDING),
    OrganizationData("Pakistan Centre for Criminal Justice Reform", "PCCJR", "PK", SPECIAL, 2018),
    OrganizationData("Central Asian Anti-Corruption Forum", "CAACF", "KZ"),
    OrganizationData("Beirut Centre for Prison Studies", "BCPS", "LB"),
    # Eastern European States
    OrganizationData("Ukrainian Harm Reduction League", "UHRL", "UA", SPECIAL, 2017),
    OrganizationData("Fundacja Przeciw Handlowi Ludźmi", "FPHL", "PL", SPECIAL, 2013),
    OrganizationData("Georgian Institute for Justice Reform", "GIJR", "GE"),
    OrganizationData("Asociația pentru Integritate Publică", "AIP", "RO"),
    OrganizationData("Belgrade Centre for Drug Policy", "BCDP", "RS"),
    OrganizationData("Moldova Anti-Trafficking Coalition", "MATC", "MD", ROSTER, 2012),
    OrganizationData("Estonian Recovery Community", "ERC", "EE", verification_state=PENDING),
    # Latin American and Caribbean States
    OrganizationData("Fundación Justicia y Paz", "FJP", "GT"),
    OrganizationData("Instituto Brasileiro de Política de Drogas", "IBPD", "BR", SPECIAL, 2016),
    OrganizationData("Centro de Estudios sobre Cárcel y Sociedad", "CECS", "AR", GENERAL, 2005),
    OrganizationData("Red Mexicana de Reducción de Daños", "REMEREDA", "MX"),
    OrganizationData("Observatorio Peruano de Integridad", "OPI", "PE", verification_state=PENDING),
    OrganizationData("Corporación Chilena de Prevención del Delito", "CCPD", "CL", SPECIAL, 2009),
    OrganizationData("Jamaica Youth Justice Coalition", "JYJC", "JM"),
    # Western European and other States
    OrganizationData("Wiener Verein für Suchtprävention", "WVS", "AT", SPECIAL, 2004),
    OrganizationData("Deutsches Netzwerk Opferschutz", "DNO", "DE"),
    OrganizationData("Collectif français Prison et Dignité", "CFPD", "FR", SPECIAL, 2008),
    OrganizationData("International Network for Evidence-Based Drug Policy", "INEDP", "GB", GENERAL, 1998),
    OrganizationData("Canadian Coalition for Safer Communities", "CCSC", "CA", SPECIAL, 2012),
    OrganizationData("Women's Network against Organized Crime", "WNAOC", "US", GENERAL, 2001),
]


# --- Accounts ------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    full_name: str
    kind: str  # "csu", "coordinator", "focal_point" or "newcomer"
    of: str = ""  # slug of the umbrella body or organization


DEMO_ACCOUNTS = [
    DemoAccount("CSU officer", "csu@demo.unodc.test", "Elena Marković", "csu"),
    DemoAccount("Coordinator, VNGOC", "vngoc@demo.unodc.test", "Thomas Gruber", "coordinator", "vngoc"),
    DemoAccount("Coordinator, Alliance", "alliance@demo.unodc.test", "Grace Okafor", "coordinator", "alliance"),
    DemoAccount(
        "Coordinator, UNCAC Coalition", "uncac-coalition@demo.unodc.test", "Lucía Fernández", "coordinator", "uncac-coalition"
    ),
    DemoAccount("Focal point, KHRN (Kenya)", "focal.one@demo.unodc.test", "Wanjiru Kamau", "focal_point", "khrn"),
    DemoAccount("Focal point, FJP (Guatemala)", "focal.two@demo.unodc.test", "Diego Herrera Morales", "focal_point", "fjp"),
    DemoAccount("NGO person, no organization yet", "newcomer@demo.unodc.test", "Priya Nair", "newcomer"),
]


# --- Loading -------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedDemo:
    accounts: list[DemoAccount]
    sessions: list[Session]


def load_demo_data() -> LoadedDemo:
    """Create or bring up to date all demo data, in one transaction."""
    with transaction.atomic():
        csu_group = _load_csu_group()
        commissions = _load_commissions()
        bodies = _load_umbrella_bodies(commissions)
        sessions = _load_sessions(commissions)
        organizations = _load_organizations()
        _load_accounts(csu_group=csu_group, bodies=bodies, organizations=organizations)
        _load_memberships(bodies=bodies, organizations=organizations)
        _load_registrations(sessions=sessions, bodies=bodies, organizations=organizations)
        _load_side_events(sessions=sessions, organizations=organizations)
        # After the delegations above: their "already loaded" checks look at the same organizations.
        _load_history(commissions=commissions, organizations=organizations)
    # Bulk inserts send no signals: forget the cached public pages and statistics by hand.
    from events.caching import forget_public_pages
    from organizations.caching import forget_directory
    from sessions.statistics import forget_statistics

    forget_directory()
    forget_public_pages()
    forget_statistics(None)
    return LoadedDemo(accounts=DEMO_ACCOUNTS, sessions=sessions)


def _load_csu_group() -> Group:
    group, _created = Group.objects.get_or_create(name=settings.CSU_STAFF_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=CSU_STAFF_APPS))
    return group


def _load_commissions() -> dict[str, Commission]:
    return {
        data.code: Commission.objects.update_or_create(
            code=data.code,
            defaults={"abbreviation": data.abbreviation, "name": data.name, "admission_rule": data.admission_rule},
        )[0]
        for data in COMMISSIONS
    }


def _load_umbrella_bodies(commissions: dict[str, Commission]) -> dict[str, UmbrellaBody]:
    bodies = {}
    for data in UMBRELLA_BODIES:
        body, _created = UmbrellaBody.objects.update_or_create(
            slug=data.slug,
            defaults={
                "name": data.name, "acronym": data.acronym, "founded": data.founded, "website": data.website,
                "email": data.email, "aims": data.aims,
            },
        )
        body.commissions.set([commissions[code] for code in data.commission_codes])
        for position, (name, description) in enumerate(data.categories):
            MembershipCategory.objects.update_or_create(
                body=body, name=name, defaults={"description": description, "position": position}
            )
        bodies[data.slug] = body
    return bodies


def _load_sessions(commissions: dict[str, Commission]) -> list[Session]:
    plans = sessions_around(timezone.localdate())
    windows = registration_windows(plans, timezone.now())
    sessions = []
    for plan in plans:
        commission = commissions[plan.code]
        opens, closes = windows[plan]
        session, _created = Session.objects.update_or_create(
            commission=commission,
            number=plan.number,
            defaults={
                "title": session_title(commission, plan.number),
                "start_date": plan.start_date,
                "end_date": plan.end_date,
                "venue": plan.venue,
                "time_zone": plan.time_zone,
                "format": plan.format,
                "registration_opens": opens,
                "registration_closes": closes,
                # Side events are proposed in the same weeks as delegations are registered.
                "side_events_open": opens,
                "side_events_close": closes,
                "quota_per_organization": 10,
            },
        )
        sessions.append(session)
    return sessions


# Thematic areas read off the organization's name, so that the directory's filters have something to find.
THEMES_BY_WORD = {
    "harm": ["harm-reduction", "drug-policy"],
    "drug": ["drug-policy", "drug-prevention-and-treatment"],
    "recovery": ["drug-prevention-and-treatment"],
    "health": ["hiv-and-aids", "drug-prevention-and-treatment"],
    "santé": ["hiv-and-aids", "drug-prevention-and-treatment"],
    "justice": ["criminal-justice-and-prison-reform"],
    "justicia": ["criminal-justice-and-prison-reform"],
    "prison": ["criminal-justice-and-prison-reform"],
    "détenus": ["criminal-justice-and-prison-reform"],
    "rehabilitation": ["criminal-justice-and-prison-reform"],
    "legal": ["criminal-justice-and-prison-reform", "human-rights"],
    "integrit": ["corruption"],
    "corruption": ["corruption"],
    "transparency": ["corruption"],
    "trafficking": ["trafficking-in-persons"],
    "migrant": ["smuggling-of-migrants"],
    "women": ["gender"],
    "youth": ["youth"],
    "cyber": ["cybercrime"],
    "environment": ["crimes-affecting-the-environment"],
    "wildlife": ["crimes-affecting-the-environment"],
    "victim": ["victims-rights"],
    "peace": ["crime-prevention"],
    "prevention": ["crime-prevention"],
}
KINDS = ["ngo", "ngo", "network", "foundation", "community_based", "academic", "faith_based", "professional_association"]


def _themes_for(name: str) -> list[str]:
    words = name.lower().replace("-", " ").split()
    found = {slug for word in words for key, slugs in THEMES_BY_WORD.items() if word.startswith(key) for slug in slugs}
    return sorted(found) or ["crime-prevention"]


def _load_organizations() -> dict[str, Organization]:
    # Created once, then left alone: verifying or editing a demo organization survives a restart.
    areas = {area.slug: area for area in ThematicArea.objects.all()}
    organizations = {}
    for number, data in enumerate(ORGANIZATIONS):
        themes = _themes_for(data.name)
        organization, created = Organization.objects.get_or_create(
            slug=data.slug,
            defaults={
                "name": data.name,
                "acronym": data.acronym,
                "kind": KINDS[number % len(KINDS)],
                "headquarters_country": data.country,
                "website": data.website,
                "email": f"contact@{data.slug}.example",
                "year_founded": 1975 + (number * 7) % 45,
                "description": (
                    f"{data.name} works with communities, authorities and other civil-society organizations on "
                    + ", ".join(areas[slug].name.lower() for slug in themes if slug in areas)
                    + "."
                ),
                "ecosoc_status": data.ecosoc_status,
                "ecosoc_year": data.ecosoc_year,
                "verification_state": data.verification_state,
            },
        )
        if created:
            organization.thematic_areas.set([areas[slug] for slug in themes if slug in areas])
        organizations[data.slug] = organization
    return organizations


def _load_accounts(
    *, csu_group: Group, bodies: dict[str, UmbrellaBody], organizations: dict[str, Organization]
) -> None:
    # One hash for all new accounts: hashing is deliberately slow, and the password is shared anyway.
    password_hash = None
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email__iexact=account.email).first()
        if user is None:
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user = User.objects.create(email=account.email, full_name=account.full_name, password=password_hash)
        _verify_email(user, account.email)
        if account.kind == "csu":
            user.groups.add(csu_group)
            if not user.is_staff:
                user.is_staff = True  # the Django admin, behind two-factor authentication
                user.save(update_fields=["is_staff"])
        elif account.kind == "coordinator":
            Coordinator.objects.get_or_create(body=bodies[account.of], user=user)
        elif account.kind == "focal_point":
            OrganizationMember.objects.get_or_create(
                organization=organizations[account.of], user=user, defaults={"role": MemberRole.FOCAL_POINT}
            )


def _load_memberships(*, bodies: dict[str, UmbrellaBody], organizations: dict[str, Organization]) -> None:
    # Created once with their history, then left alone: a tester's decisions survive a restart.
    now = timezone.now()
    for number, (organization_slug, body_slug, position, status) in enumerate(DEMO_MEMBERSHIPS):
        body, organization = bodies[body_slug], organizations[organization_slug]
        if UmbrellaMembership.objects.filter(body=body, organization=organization).exists():
            continue
        applied_at = now - timedelta(days=400 + 97 * number) if status == MembershipStatus.ACTIVE else now - timedelta(days=2 + number % 5)
        accepted_at = applied_at + timedelta(days=12)
        coordinator = body.coordinator_links.select_related("user").order_by("pk").first()
        membership = UmbrellaMembership.objects.create(
            organization=organization,
            body=body,
            category=body.categories.get(position=position),
            status=status,
            motivation=f"{organization.name} wants to work with the other members of {body.acronym} towards {body.commissions.first()}.",
            created_at=applied_at,
            applied_at=applied_at,
            changed_at=accepted_at if status == MembershipStatus.ACTIVE else applied_at,
            changed_by=coordinator.user if coordinator and status == MembershipStatus.ACTIVE else None,
            member_since=accepted_at if status == MembershipStatus.ACTIVE else None,
        )
        entries = [("umbrella.membership.applied", None, applied_at, MembershipStatus.APPLIED)]
        if status == MembershipStatus.ACTIVE:
            entries.append(("umbrella.membership.accepted", coordinator.user if coordinator else None, accepted_at, status))
        for action, actor, when, new_status in entries:
            entry = log_activity(action, actor=actor, target=membership, new={"status": new_status}, note=membership.motivation if action.endswith("applied") else "")
            ActivityLog.objects.filter(pk=entry.pk).update(created_at=when)


# Demo delegations to the first session open for registration: (organization, body or "", status, people).
DEMO_REGISTRATIONS = [
    ("inedp", "", RegistrationStatus.APPROVED, [("OKONKWO", "Chidi Emmanuel", "NG", "male"), ("LARSEN", "Ingrid", "NO", "female")]),
    ("ibpd", "", RegistrationStatus.SUBMITTED, [("SILVA SANTOS", "Ana Carolina", "BR", "female"), ("PEREIRA", "João Marcos", "BR", "male"), ("COSTA", "Beatriz", "BR", "female")]),
    ("uhrl", "", RegistrationStatus.SUBMITTED, [("KOVALENKO", "Olena", "UA", "female")]),
    ("remereda", "vngoc", RegistrationStatus.AWAITING_ENDORSEMENT, [("HERNÁNDEZ LÓPEZ", "María José", "MX", "female"), ("RAMÍREZ", "Luis Alberto", "MX", "male")]),
    ("tcha", "vngoc", RegistrationStatus.ENDORSED, [("SUWANNARAT", "Somchai", "TH", "male")]),
]
# A one-page PDF: the demo's accreditation letters.
DEMO_LETTER = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _load_registrations(*, sessions: list[Session], bodies: dict[str, UmbrellaBody], organizations: dict[str, Organization]) -> None:
    # Created once, like the organizations: what a tester decides survives a restart (and a start
    # months later, when another session is open, adds none).
    if Registration.objects.filter(organization__slug__in=[slug for slug, *_rest in DEMO_REGISTRATIONS]).exists():
        return
    now = timezone.now()
    session = next((s for s in sessions if s.registration_opens and s.registration_opens <= now < s.registration_closes), None)
    if session is None:
        return
    csu_officer = User.objects.filter(email__iexact="csu@demo.unodc.test").first()
    for number, (slug, body_slug, status, people) in enumerate(DEMO_REGISTRATIONS):
        organization = organizations[slug]
        submitted = now - timedelta(days=10 - number)
        registration = Registration.objects.create(
            session=session,
            organization=organization,
            channel="umbrella" if body_slug else "direct",
            umbrella_body=bodies[body_slug] if body_slug else None,
            status=status,
            created_at=submitted - timedelta(days=1),
            submitted_at=submitted,
            decided_by=csu_officer if status == RegistrationStatus.APPROVED else None,
            decided_at=now - timedelta(days=2) if status == RegistrationStatus.APPROVED else None,
        )
        registration.accreditation_letter.save("letter.pdf", ContentFile(DEMO_LETTER), save=True)
        for position, (family, given, nationality, gender) in enumerate(people):
            Participant.objects.create(
                registration=registration, family_name=family, given_names=given, gender=gender, nationality=nationality,
                date_of_birth=date(1970 + 3 * position + number, 1 + position, 10 + number), passport_number=f"D{number}{position}482{position}7",
                passport_expiry=session.end_date + timedelta(days=900), email=f"{given.split()[0].lower()}.{slug}@example.org",
                role="head" if position == 0 else "representative", position=position,
                status="approved" if status == RegistrationStatus.APPROVED else "pending",
            )
        steps = ["sessions.registration.started", "sessions.registration.submitted"]
        if status in (RegistrationStatus.ENDORSED,):
            steps.append("sessions.registration.endorsed")
        if status == RegistrationStatus.APPROVED:
            steps.append("sessions.registration.approved")
        for step_number, action in enumerate(steps):
            entry = log_activity(action, actor=None, target=registration, new={"status": action.rsplit(".", 1)[1]})
            ActivityLog.objects.filter(pk=entry.pk).update(created_at=submitted + timedelta(hours=step_number))


# Rooms of the Vienna International Centre used for side events, and the usual slot grid.
VIC_ROOMS = [("Boardroom A", 40), ("Boardroom B", 40), ("Mozart Room", 60), ("Conference Room M3", 90), ("Conference Room M7", 150)]
SLOT_TIMES = [(time(8, 10), time(9, 0)), (time(13, 10), time(14, 0)), (time(18, 10), time(19, 0))]
# Demo side events at the open session: (lead organizer, title, status, room index, slot index or None).
DEMO_SIDE_EVENTS = [
    ("inedp", "Evidence, not ideology: twenty years of drug-checking services", SideEventStatus.ACCEPTED, 3, 1),
    ("ibpd", "Alternatives to incarceration for drug offences in Latin America", SideEventStatus.ACCEPTED, 2, 4),
    ("uhrl", "Keeping harm-reduction services open in wartime", SideEventStatus.SUBMITTED, None, None),
]


def _load_side_events(*, sessions: list[Session], organizations: dict[str, Organization]) -> None:
    # Rooms are reference data; the slot grid and the events are created once and then left to the tester.
    for name, capacity in VIC_ROOMS:
        Room.objects.update_or_create(venue=VIC, name=name, defaults={"capacity": capacity})
    now = timezone.now()
    session = next((s for s in sessions if s.side_events_open and s.side_events_open <= now < s.side_events_close), None)
    if session is None:
        return
    if SideEvent.objects.filter(lead_organization__slug__in=[slug for slug, *_rest in DEMO_SIDE_EVENTS]).exists():
        return
    day = session.start_date
    while day <= session.end_date:
        for start, end in SLOT_TIMES:
            Slot.objects.get_or_create(
                session=session,
                starts_at=datetime.combine(day, start, tzinfo=session.tz),
                defaults={"ends_at": datetime.combine(day, end, tzinfo=session.tz)},
            )
        day += timedelta(days=1)
    rooms = list(Room.objects.filter(venue=VIC).order_by("capacity", "name"))
    slots = list(Slot.objects.filter(session=session).order_by("starts_at"))
    areas = {area.slug: area for area in ThematicArea.objects.all()}
    for number, (slug, title, status, room_index, slot_index) in enumerate(DEMO_SIDE_EVENTS):
        organization = organizations[slug]
        event = SideEvent.objects.create(
            session=session,
            lead_organization=organization,
            title=title,
            description=f"{organization.name} and its partners present their work and take questions from delegations.",
            format="hybrid" if number % 2 else "in_person",
            online_link="https://meet.example.org/side-event" if number % 2 else "",
            languages=["en", "es"] if slug == "ibpd" else ["en"],
            expected_audience=50 + 20 * number,
            status=status,
            submitted_at=now - timedelta(days=9 - number),
            room=rooms[room_index] if room_index is not None else None,
            slot=slots[slot_index] if slot_index is not None else None,
            sequence=1 if slot_index is not None else 0,
        )
        event.themes.set([areas[theme] for theme in _themes_for(organization.name) if theme in areas])
        for position, (name, gender, country) in enumerate(
            [("Dr. Amara Okafor", "female", "NG"), ("Prof. Lars Eriksson", "male", "SE"), ("María Fernanda Ruiz", "female", "CO")][: 2 + number % 2]
        ):
            Speaker.objects.create(event=event, position=position, name=name, gender=gender, country=country, affiliation=organization.name)
        log_activity("events.side_event.submitted", actor=None, target=event, new={"status": "submitted"})


# --- History: past sessions with delegations and side events, so that the statistics have years to show ---------

HISTORY_YEARS = 8
HISTORY_SEED = 1961  # the Single Convention on Narcotic Drugs; any fixed number gives the same demo every time
# The body whose delegation an organization without ECOSOC status joins, per commission.
BODY_OF_COMMISSION = {code: data.slug for data in UMBRELLA_BODIES for code in data.commission_codes}
FAMILY_NAMES = [
    "OKAFOR", "MWANGI", "DIALLO", "BENALI", "SHARMA", "NGUYEN", "SANTOS", "GARCÍA", "KOWALSKA", "IVANENKO", "MÜLLER",
    "DUBOIS", "SMITH", "HAILE", "TANAKA", "SILVA", "ROSSI", "HOSSAIN", "MENSAH", "PETROV", "LÓPEZ", "KARIMI",
    "ANDERSSON", "MOREAU", "OLADIPO", "RAHMAN", "CHOI", "FERREIRA", "NOWAK", "BROWN",
]  # fmt: skip
GIVEN_NAMES = {
    "female": ["Amina", "Grace", "María", "Olena", "Priya", "Fatou", "Ingrid", "Ana", "Leila", "Mei", "Sofia", "Chloé"],
    "male": ["Kwame", "Luis", "Rahul", "Oleksandr", "Jean", "Tomás", "Ahmed", "Lars", "David", "Kenji", "Pedro", "Samuel"],
    "other": ["Alex", "Sam", "Robin", "Kim"],
}
# Half the representatives are women, a few give another or no gender; panels grow more balanced over the years.
GENDER_WEIGHTS = {"female": 50, "male": 46, "other": 4}
EVENT_TOPICS = [
    "Lessons from the field", "What the evidence says", "Voices of affected communities", "From policy to practice",
    "Partnerships that work", "Measuring what matters", "Ten years on", "Young people lead the way",
]  # fmt: skip


def history_plans(today: date) -> list[SessionPlan]:
    """The sessions each commission held in the last HISTORY_YEARS years, oldest first."""
    plans = []
    for schedule, _upcoming_count in SCHEDULES.values():
        held = (schedule(year) for year in range(today.year - HISTORY_YEARS, today.year + 1))
        plans += [plan for plan in held if plan and plan.end_date < today]
    return plans


def _load_history(*, commissions: dict[str, Commission], organizations: dict[str, Organization]) -> None:
    """Past sessions with approved delegations (growing over the years, with noise) and side events.

    Created once, in bulk: if any of these sessions already has a registration, nothing is added, so a
    start months later (when another session has ended) leaves the demo as it was. Personal data of
    these past sessions is already purged, as the retention rule would have it.
    """
    today = timezone.localdate()
    plans = history_plans(today)
    sessions = []
    for plan in plans:
        commission = commissions[plan.code]
        opens, closes = registration_window(plan.start_date)
        session, _created = Session.objects.get_or_create(
            commission=commission,
            number=plan.number,
            defaults={
                "title": session_title(commission, plan.number), "start_date": plan.start_date, "end_date": plan.end_date,
                "venue": plan.venue, "time_zone": plan.time_zone, "format": plan.format, "registration_opens": opens,
                "registration_closes": closes, "side_events_open": opens, "side_events_close": closes,
            },
        )  # fmt: skip
        sessions.append(session)
    if Registration.objects.filter(session__in=sessions).exists():
        return
    rng = random.Random(HISTORY_SEED)
    verified = [organization for organization in organizations.values() if organization.verification_state == VerificationState.VERIFIED]
    members = set(
        UmbrellaMembership.objects.filter(status=MembershipStatus.ACTIVE).values_list("body__slug", "organization_id")
    )
    bodies = {body.slug: body for body in UmbrellaBody.objects.all()}
    areas_of = {organization.pk: [] for organization in verified}
    for organization_id, area_id in Organization.thematic_areas.through.objects.filter(
        organization__in=verified
    ).values_list("organization_id", "thematicarea_id"):
        areas_of[organization_id].append(area_id)
    rooms = list(Room.objects.filter(venue=VIC).order_by("capacity", "name"))
    by_commission: dict[str, list[Session]] = {}
    for session in sessions:
        by_commission.setdefault(session.commission.code, []).append(session)
    registrations, people, events, slots = [], [], [], []
    for code, held in by_commission.items():
        body_slug = BODY_OF_COMMISSION.get(code)
        # Most organizations were there from the start; some came later, a few for the first time at the latest session.
        debut = {organization.pk: rng.choice([0] * 4 + list(range(len(held)))) for organization in verified}
        for index, session in enumerate(held):
            progress = index / max(1, len(held) - 1)
            newcomers = {pk for pk, first in debut.items() if first == index} if index else set()
            eligible = [organization for organization in verified if debut[organization.pk] <= index]
            _plan_delegations(session, rng, progress, eligible, newcomers, members, bodies, body_slug, registrations, people)
            if session.venue == VIC:
                _plan_side_events(session, rng, progress, registrations, events, slots)
    Registration.objects.bulk_create(registrations)
    for person in people:
        person.registration_id = person.registration.pk
    Participant.objects.bulk_create(people)
    Slot.objects.bulk_create(slots)
    _create_side_events(rng, events, rooms, areas_of)


def _plan_delegations(session, rng, progress, eligible, newcomers, members, bodies, body_slug, registrations, people) -> None:
    """The approved (and a few turned-down) delegations of one past session, unsaved; newcomers all come."""
    ecosoc_required = session.commission.admission_rule == AdmissionRule.ECOSOC_REQUIRED
    candidates = []
    for organization in eligible:
        is_member = (body_slug, organization.pk) in members
        has_status = organization.ecosoc_status != EcosocStatus.NONE
        if ecosoc_required and not (has_status or is_member):
            continue  # without ECOSOC status, only in an umbrella body's delegation
        through_body = is_member and (not has_status or rng.random() < 0.3)
        candidates.append((organization, through_body))
    share = min(1.0, 0.4 + 0.5 * progress + rng.uniform(-0.08, 0.08))
    if session.start_date.year == 2021:
        share *= 0.6  # the pandemic year: most took part online, or not at all
    decided_at = at_vienna(session.start_date - timedelta(days=20), 11)
    purged_at = at_vienna(session.end_date + timedelta(days=90), 3, 15)
    first_timers = [candidate for candidate in candidates if candidate[0].pk in newcomers]
    others = [candidate for candidate in candidates if candidate[0].pk not in newcomers]
    chosen = first_timers + rng.sample(others, max(0, min(len(others), round(len(candidates) * share) - len(first_timers))))
    for organization, through_body in chosen:
        status = RegistrationStatus.APPROVED if rng.random() < 0.92 else rng.choice([RegistrationStatus.REJECTED, RegistrationStatus.WITHDRAWN])
        if organization.pk in newcomers:
            status = RegistrationStatus.APPROVED
        registration = Registration(
            session=session, organization=organization, channel="umbrella" if through_body else "direct",
            umbrella_body=bodies[body_slug] if through_body else None, status=status,
            created_at=decided_at - timedelta(days=30), submitted_at=decided_at - timedelta(days=25 - rng.randint(0, 20)),
            decided_at=decided_at if status != RegistrationStatus.WITHDRAWN else None,
            personal_data_purged_at=purged_at if purged_at < timezone.now() else None,
        )  # fmt: skip
        registrations.append(registration)
        for position in range(min(10, rng.randint(2, 5 + round(5 * progress)))):
            gender = rng.choices(list(GENDER_WEIGHTS), weights=list(GENDER_WEIGHTS.values()))[0]
            given, family = rng.choice(GIVEN_NAMES[gender]), rng.choice(FAMILY_NAMES)
            nationality = str(organization.headquarters_country) if rng.random() < 0.85 else rng.choice(["AT", "US", "GB", "KE", "BR", "IN", "UA", "MX"])
            participant_status = "approved"
            if status == RegistrationStatus.REJECTED:
                participant_status = "rejected"
            elif status == RegistrationStatus.WITHDRAWN:
                participant_status = "pending"
            elif rng.random() < 0.04:
                participant_status = "rejected"
            people.append(
                Participant(
                    registration=registration, family_name=family, given_names=given, gender=gender, nationality=nationality,
                    email=f"{slugify(given)}.{slugify(family)}.{session.commission.code}{session.number}.{len(people)}@example.org",
                    role="head" if position == 0 else "representative", position=position, status=participant_status,
                    attendance="online" if session.start_date.year == 2021 and rng.random() < 0.7 else "in_person",
                )  # fmt: skip
            )


def _plan_side_events(session, rng, progress, registrations, events, slots) -> None:
    """Side events led by organizations with an approved delegation, and the session's slot grid; unsaved."""
    leads = [r.organization for r in registrations if r.session is session and r.status == RegistrationStatus.APPROVED]
    count = min(len(leads), max(2, round(4 + 10 * progress + rng.uniform(-2, 2))))
    session_slots = []
    day = session.start_date
    while day <= session.end_date:
        for start, end in SLOT_TIMES:
            session_slots.append(
                Slot(session=session, starts_at=datetime.combine(day, start, tzinfo=session.tz), ends_at=datetime.combine(day, end, tzinfo=session.tz))
            )
        day += timedelta(days=1)
    slots += session_slots
    for organization in rng.sample(leads, count):
        accepted = rng.random() < 0.85
        events.append((session, organization, accepted, session_slots, progress))


def _create_side_events(rng, planned, rooms, areas_of) -> None:
    areas = {area.pk: area for area in ThematicArea.objects.all()}
    side_events, themes, speakers = [], [], []
    used: dict[int, int] = {}  # session id -> events placed so far
    for session, organization, accepted, session_slots, progress in planned:
        place = used.get(session.pk, 0)
        scheduled = accepted and place < len(session_slots) * len(rooms)
        if scheduled:
            used[session.pk] = place + 1
        area_ids = areas_of.get(organization.pk) or [next(iter(areas))]
        topic = areas[area_ids[0]].name
        event = SideEvent(
            session=session, lead_organization=organization, title=f"{topic}: {rng.choice(EVENT_TOPICS).lower()}",
            description=f"{organization.name} and its partners present their work and take questions from delegations.",
            status=SideEventStatus.ACCEPTED if accepted else SideEventStatus.REJECTED,
            submitted_at=at_vienna(session.start_date - timedelta(days=60), 10),
            decided_at=at_vienna(session.start_date - timedelta(days=30), 10),
            room=rooms[place % len(rooms)] if scheduled else None,
            slot=session_slots[place // len(rooms)] if scheduled else None,
            format=rng.choice(["in_person", "hybrid"]), languages=["en"],
        )  # fmt: skip
        side_events.append(event)
        themes.append(area_ids)
        # Panels grow more balanced: the chance of a woman on each seat rises from 35% to 50%.
        for position in range(rng.randint(2, 4)):
            gender = "female" if rng.random() < 0.35 + 0.15 * progress else rng.choice(["male", "male", "male", "other"])
            speakers.append(
                Speaker(
                    event=event, position=position, gender=gender, country=organization.headquarters_country,
                    name=f"{rng.choice(GIVEN_NAMES[gender])} {rng.choice(FAMILY_NAMES).title()}", affiliation=organization.name,
                )  # fmt: skip
            )
    SideEvent.objects.bulk_create(side_events)
    through = SideEvent.themes.through
    through.objects.bulk_create(
        through(sideevent_id=event.pk, thematicarea_id=area_id)
        for event, area_ids in zip(side_events, themes)
        for area_id in area_ids
    )
    for speaker in speakers:
        speaker.event_id = speaker.event.pk
    Speaker.objects.bulk_create(speakers)


def _verify_email(user: User, email: str) -> None:
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=not has_primary)
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


# --- What the command prints -----------------------------------------------------------


def demo_banner(loaded: LoadedDemo) -> str:
    """The short text printed on every start: who to log in as, and where."""
    rows = [("Role", "E-mail", "Password")] + [(a.role, a.email, DEMO_PASSWORD) for a in loaded.accounts]
    role_width = max(len(role) for role, _email, _password in rows)
    email_width = max(len(email) for _role, email, _password in rows)
    lines = [
        "Demo data loaded. Demo accounts:",
        "",
        *(f"  {role:<{role_width}}  {email:<{email_width}}  {password}" for role, email, password in rows),
        "",
        "CSU staff and coordinators must set up two-factor authentication",
        "(an authenticator app) before they can open staff pages.",
        "",
        f"Open {settings.PORTAL_BASE_URL.rstrip('/')}/",
    ]
    return "\n".join(lines)
