"""Fill an empty PostgreSQL database with UNODC-sized data, to measure the portal at scale (bench/).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale python manage.py generate_scale_data --scale 1.0

At --scale 1.0: 20,000 organizations, 150 sessions over 30 years, 100,000 registrations,
about 400,000 participants and 5,000 side events, with their focal points, umbrella
memberships, speakers, rooms, slots and activity log. --scale 0.1 makes a tenth of each.
A fixed random seed makes two runs give the same data. Rows are written with bulk_create
in large batches in one transaction; nothing in the schema is disabled; VACUUM ANALYZE
runs at the end so that the planner knows the tables.

The session the benchmark reviews is the next CND session: its registration window is
open now (by the database's clock), it holds several thousand registrations (5% of all),
and its side-event programme is published (200 events at full scale).
"""

import functools
import random
import time
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify as _slugify

BATCH_SIZE = 5000
RANDOM_SEED = 2026
FULL = {
    "organizations": 20_000,
    "sessions": 150,
    "registrations": 100_000,
    "participants": 400_000,
    "side_events": 5_000,
}
# The current session's share of all registrations ("several thousand" at full scale).
CURRENT_SHARE = 0.05
# Side events on the current session's published programme, at full scale.
CURRENT_PROGRAMME = 200
# How many people a delegation has (1 to 10): about 4 on average.
DELEGATION_SIZES = list(range(1, 11))
DELEGATION_WEIGHTS = [14, 17, 18, 15, 11, 8, 6, 4, 3, 4]
CSU_OFFICERS = 6
COORDINATORS_PER_BODY = 2
BENCH_PASSWORD = "bench-scale-2026"

VIC = "Vienna International Centre, Vienna"
VIC_ROOMS = [
    ("Boardroom A", 40), ("Boardroom B", 40), ("Boardroom C", 40), ("Boardroom D", 40), ("Mozart Room", 60),
    ("Conference Room C3", 80), ("Conference Room C7", 80), ("Conference Room M3", 90), ("Conference Room M7", 150),
    ("Press Room", 50),
]  # fmt: skip
# The COSP travels; every other body meets in Vienna.
COSP_VENUES = [
    ("Abu Dhabi National Exhibition Centre, Abu Dhabi", "Asia/Dubai"),
    ("Sharm El-Sheikh International Convention Centre", "Africa/Cairo"),
    ("Georgia World Congress Center, Atlanta", "America/New_York"),
    ("Vienna International Centre, Vienna", "Europe/Vienna"),
    ("Marrakech Palais des Congrès", "Africa/Casablanca"),
    ("Bali Nusa Dua Convention Center", "Asia/Makassar"),
    ("Doha Convention Center", "Asia/Qatar"),
    ("Panama Convention Center, Panama City", "America/Panama"),
]
OTHER_ROOMS = [("Hall 1", 300), ("Meeting Room 2", 60), ("Meeting Room 3", 60), ("Meeting Room 4", 40), ("Meeting Room 5", 40), ("Plenary Annex", 120)]
SLOT_TIMES = [(clock(8, 10), clock(9, 0)), (clock(13, 10), clock(14, 0)), (clock(14, 10), clock(15, 0)), (clock(18, 10), clock(19, 0))]

# Given and family names by the language of a nationality, so that delegations look real.
NAMES = {
    "en": (["James", "Mary", "Grace", "Peter", "Sarah", "David", "Amina", "John", "Emily", "Samuel", "Ruth", "Michael"],
           ["Smith", "Okafor", "Mwangi", "Brown", "Wilson", "Patel", "Taylor", "Otieno", "Campbell", "Singh", "Kaur", "Moore"]),
    "fr": (["Marie", "Jean", "Aïssatou", "Pierre", "Fatou", "Luc", "Claire", "Moussa", "Élise", "Yves"],
           ["Diallo", "Martin", "Ndiaye", "Dubois", "Traoré", "Lefèvre", "Mbarga", "Koné", "Girard", "Benali"]),
    "es": (["María José", "Juan Carlos", "Lucía", "Diego", "Camila", "Andrés", "Valentina", "Luis Alberto", "Ana", "Jorge"],
           ["García López", "Hernández", "Rodríguez", "Martínez", "Pérez", "Gómez", "Herrera Morales", "Ramírez", "Flores", "Torres"]),
    "pt": (["Ana Carolina", "João Marcos", "Beatriz", "Pedro", "Mariana", "Rafael"],
           ["Silva Santos", "Pereira", "Costa", "Oliveira", "Souza", "Almeida"]),
    "ar": (["Ahmed", "Fatima", "Omar", "Layla", "Youssef", "Mariam", "Khaled", "Nour"],
           ["Al-Hassan", "Haddad", "Mansour", "Khalil", "Nasser", "Saleh", "El-Amin", "Farouk"]),
    "ru": (["Olena", "Sergei", "Anna", "Dmitri", "Irina", "Nikolai", "Aigerim", "Timur"],
           ["Kovalenko", "Ivanova", "Petrov", "Smirnova", "Nurlanov", "Bondarenko", "Sokolov", "Abenova"]),
    "asia": (["Somchai", "Priya", "Wei", "Siti", "Hiroshi", "Nguyen Thi", "Rahul", "Mei Ling", "Bayu", "Maria Cristina"],
             ["Suwannarat", "Nair", "Zhang", "Rahman", "Tanaka", "Tran", "Sharma", "Lim", "Santoso", "Reyes"]),
    "de": (["Ingrid", "Thomas", "Lars", "Katharina", "Jonas", "Sofia", "Matteo", "Eva"],
           ["Larsen", "Gruber", "Eriksson", "Müller", "Jansen", "Rossi", "Novak", "Berg"]),
}
LANGUAGE_OF_COUNTRY = {
    **dict.fromkeys("FR BE SN CM CI BF ML HT CD CG MA TN DZ NE TD GA BJ TG MG CH".split(), "fr"),
    **dict.fromkeys("ES MX CO PE CL AR GT BO EC HN SV NI CR PA DO CU PR UY PY VE".split(), "es"),
    **dict.fromkeys("BR PT AO MZ".split(), "pt"),
    **dict.fromkeys("EG JO LB SA AE QA KW OM BH IQ SY YE LY SD PS".split(), "ar"),
    **dict.fromkeys("RU UA BY KZ KG UZ TJ MD GE AM AZ".split(), "ru"),
    **dict.fromkeys("IN PK TH PH MY SG ID CN JP VN NP LK BD KR MM KH".split(), "asia"),
    **dict.fromkeys("AT DE NL SE NO DK FI IS IT PL RO RS BA MK AL ME HU CZ SK SI HR BG EE LV LT GR".split(), "de"),
}
NATIONALITIES = sorted({*LANGUAGE_OF_COUNTRY, "KE", "NG", "GH", "UG", "ZA", "ZM", "TZ", "RW", "US", "GB", "CA", "AU", "NZ", "IE", "JM", "TT"})

EVENT_TOPICS = [
    "Harm reduction in prisons", "Alternatives to incarceration", "Drug checking services", "Youth-led prevention",
    "Gender-responsive treatment", "Beneficial ownership transparency", "Whistle-blower protection",
    "Victims of trafficking in supply chains", "Cyber-enabled fraud", "Environmental crime and corruption",
    "Community policing", "Restorative justice for juveniles", "Access to controlled medicines", "Naloxone distribution",
    "Open contracting", "Asset recovery", "Smuggling of migrants at sea", "Firearms trafficking",
    "Alternative development", "Decriminalization and public health",
]
EVENT_ANGLES = ["lessons from the field", "what the evidence says", "a civil-society perspective", "ten years on",
                "from policy to practice", "voices of affected communities", "regional experiences", "the way forward"]
SPEAKER_TITLES = ["Executive Director", "Programme Officer", "Researcher", "Professor", "Advocacy Lead", "Peer Worker", "Legal Adviser"]


# Names come from short lists: slugify each once.
slugify = functools.cache(_slugify)


@dataclass
class SessionPlan:
    code: str
    number: int
    start: date
    days: int
    venue: str = VIC
    time_zone: str = "Europe/Vienna"


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def session_plans(today: date, count: int) -> list[SessionPlan]:
    """`count` sessions, the most recent ones, of 30 years' calendars up to the next CND session."""
    plans = []
    dialogue_number = cop_number = cosp_number = congress_number = 0
    for year in range(today.year - 29, today.year + 1):
        plans.append(SessionPlan("cnd", year - 1957, _nth_weekday(year, 3, 0, 2), 5))
        plans.append(SessionPlan("ccpcj", year - 1991, _nth_weekday(year, 5, 0, 3), 5))
        for month in (6, 11):
            dialogue_number += 1
            plans.append(SessionPlan("dialogues", dialogue_number, _nth_weekday(year, month, 1, 1), 2))
        if year % 2 == 0:
            cop_number += 1
            plans.append(SessionPlan("cop-untoc", cop_number, _nth_weekday(year, 10, 0, 2), 5))
        else:
            cosp_number += 1
            venue, time_zone = COSP_VENUES[cosp_number % len(COSP_VENUES)]
            plans.append(SessionPlan("cosp", cosp_number, _nth_weekday(year, 12, 0, 2), 5, venue, time_zone))
        if year % 5 == 0:
            congress_number += 1
            plans.append(SessionPlan("congress", congress_number, _nth_weekday(year, 4, 0, 2), 8))
    # The next CND session is the one open for registration now.
    plans.append(SessionPlan("cnd", today.year + 1 - 1957, _nth_weekday(today.year + 1, 3, 0, 2), 5))
    plans.sort(key=lambda plan: plan.start)
    return plans[-count:]


def batched_create(model, objects, *, batch_size: int = BATCH_SIZE) -> list:
    """bulk_create in batches, returning the saved objects (with their primary keys on PostgreSQL)."""
    created = []
    objects = list(objects)
    for start in range(0, len(objects), batch_size):
        created += model.objects.bulk_create(objects[start : start + batch_size])
    return created


class Command(BaseCommand):
    help = "Fill an empty, migrated PostgreSQL database with UNODC-sized data for the benchmark (bench/run.py)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1.0: the full set (20,000 organizations ...); 0.1: a tenth.")
        parser.add_argument("--seed", type=int, default=RANDOM_SEED, help="Random seed (fixed by default: same data every run).")

    def handle(self, *args, scale: float, seed: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The scale data set is for PostgreSQL: set DATABASE_URL to a PostgreSQL database.")
        from organizations.models import Organization

        if Organization.objects.exists():
            raise CommandError("This database already holds organizations: generate into a freshly migrated database.")
        if not 0 < scale <= 1.0:
            raise CommandError("--scale must be more than 0 and at most 1.0.")
        self.rng = random.Random(seed)
        self.scale = scale
        self.counts = {name: max(1, round(value * scale)) for name, value in FULL.items()}
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        started = time.monotonic()
        with transaction.atomic():
            self.step("reference data", self.reference_data)
            self.step("organizations", self.organizations)
            self.step("people", self.people)
            self.step("sessions", self.sessions)
            self.step("umbrella memberships", self.memberships)
            self.step("registrations", self.registrations)
            self.step("participants", self.participants)
            self.step("side events", self.side_events)
            self.step("activity log", self.activity_log)
        self.step("VACUUM ANALYZE", self.vacuum_analyze)
        self.stdout.write(f"Done in {time.monotonic() - started:.0f} s: " + ", ".join(f"{count:,} {name}" for name, count in self.summary().items()))

    def step(self, name: str, function) -> None:
        started = time.monotonic()
        function()
        self.stdout.write(f"  {name}: {time.monotonic() - started:.1f} s")

    # --- Reference data -----------------------------------------------------------------------------------

    def reference_data(self):
        from portal.demo import COMMISSIONS, _load_commissions, _load_csu_group, _load_umbrella_bodies
        from sessions.enums import AdmissionRule
        from sessions.models import Commission

        self.csu_group = _load_csu_group()
        self.commissions = _load_commissions()
        self.commissions["dialogues"] = Commission.objects.create(
            code="dialogues", abbreviation="UNTOC CD",
            name="Constructive Dialogues of the UNTOC Review Mechanism", admission_rule=AdmissionRule.OPEN,
        )
        assert {data.code for data in COMMISSIONS} <= set(self.commissions)
        self.bodies = _load_umbrella_bodies(self.commissions)
        # Which body a non-ECOSOC organization registers through, for the commissions that require ECOSOC status.
        self.body_for_commission = {"cnd": self.bodies["vngoc"], "ccpcj": self.bodies["alliance"]}

    # --- Organizations and people ----------------------------------------------------------------------------

    def organizations(self):
        from bench.seed_organizations import seed
        from organizations.enums import VerificationState
        from organizations.models import Organization

        seed(self.counts["organizations"], random_seed=self.rng.randint(0, 2**31))
        rows = list(Organization.objects.order_by("pk").values_list("pk", "verification_state", "ecosoc_status", "headquarters_country", "name"))
        self.organization_rows = {pk: (state, ecosoc, country, name) for pk, state, ecosoc, country, name in rows}
        verified = [pk for pk, state, *_rest in rows if state == VerificationState.VERIFIED]
        self.rng.shuffle(verified)
        # A core of organizations comes to many sessions; the others now and then.
        core = max(1, len(verified) * 3 // 20)
        self.frequent, self.occasional = verified[:core], verified[core:]

    def people(self):
        from allauth.account.models import EmailAddress
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        from organizations.models import OrganizationMember
        from portal.models import User
        from umbrella.models import Coordinator

        password = make_password(BENCH_PASSWORD)
        staff = [User(email=f"csu{n}@scale.unodc.test", full_name=f"CSU Officer {n}", password=password) for n in range(1, CSU_OFFICERS + 1)]
        coordinators = [
            User(email=f"coordinator{n}@{slug}.scale.test", full_name=f"Coordinator {n} of {body.acronym}", password=password)
            for slug, body in self.bodies.items()
            for n in range(1, COORDINATORS_PER_BODY + 1)
        ]
        # One focal point for every verified organization, a second for one in ten.
        verified = self.frequent + self.occasional
        second = set(self.rng.sample(verified, len(verified) // 10))
        focal = []
        for pk in sorted(verified):
            for n in (1, 2) if pk in second else (1,):
                given, family = self.person_name(self.organization_rows[pk][2])
                focal.append((pk, User(email=f"focal{n}.{pk}@ngo.scale.test", full_name=f"{given} {family}", password=password)))
        users = batched_create(User, [*staff, *coordinators, *(user for _pk, user in focal)])
        staff, coordinators = users[: len(staff)], users[len(staff) : len(staff) + len(coordinators)]
        batched_create(EmailAddress, (EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users))
        self.csu_group.user_set.add(*staff)
        for user in [*staff, *coordinators]:
            TOTP.activate(user, generate_totp_secret())
        links = []
        for index, (slug, body) in enumerate(self.bodies.items()):
            links += [Coordinator(body=body, user=user) for user in coordinators[index * COORDINATORS_PER_BODY : (index + 1) * COORDINATORS_PER_BODY]]
        Coordinator.objects.bulk_create(links)
        self.staff = staff
        self.coordinators = {slug: coordinators[i * COORDINATORS_PER_BODY] for i, slug in enumerate(self.bodies)}
        members = batched_create(OrganizationMember, (OrganizationMember(organization_id=pk, user=user) for pk, user in focal))
        self.focal_point_of = {}
        for member in members:
            self.focal_point_of.setdefault(member.organization_id, member.user_id)

    def person_name(self, country: str) -> tuple[str, str]:
        given, family = NAMES[LANGUAGE_OF_COUNTRY.get(str(country), "en")]
        return self.rng.choice(given), self.rng.choice(family)

    # --- Sessions, rooms and slots ------------------------------------------------------------------------------

    def sessions(self):
        from events.models import Room
        from portal.demo import session_title
        from sessions.models import Session

        plans = session_plans(self.today, self.counts["sessions"])
        sessions = []
        for plan in plans:
            commission = self.commissions[plan.code]
            tz = zoneinfo.ZoneInfo(plan.time_zone)
            opens = datetime.combine(plan.start - timedelta(days=120), clock(9), tzinfo=tz)
            closes = datetime.combine(plan.start - timedelta(days=28), clock(23, 59), tzinfo=tz)
            events_open = opens
            events_close = opens + timedelta(days=45)
            sessions.append(
                Session(
                    commission=commission, number=plan.number, title=session_title(commission, plan.number),
                    start_date=plan.start, end_date=plan.start + timedelta(days=plan.days - 1), venue=plan.venue,
                    time_zone=plan.time_zone, registration_opens=opens, registration_closes=closes,
                    side_events_open=events_open, side_events_close=events_close,
                )
            )
        current = sessions[-1]
        # Open now, whatever day the data is generated: the benchmark submits registrations to it.
        current.registration_opens = self.now - timedelta(days=60)
        current.registration_closes = max(self.now + timedelta(days=60), current.registration_closes)
        current.side_events_open = self.now - timedelta(days=90)
        current.side_events_close = self.now - timedelta(days=30)
        self.session_list = Session.objects.bulk_create(sessions)
        self.current = self.session_list[-1]
        venues = {session.venue for session in self.session_list}
        rooms = [Room(venue=venue, name=name, capacity=capacity) for venue in sorted(venues)
                 for name, capacity in (VIC_ROOMS if venue == VIC else OTHER_ROOMS)]
        rooms = Room.objects.bulk_create(rooms)
        self.rooms = {}
        for room in rooms:
            self.rooms.setdefault(room.venue, []).append(room)

    # --- Umbrella memberships ----------------------------------------------------------------------------------------

    def memberships(self):
        from organizations.enums import EcosocStatus
        from umbrella.enums import MembershipStatus
        from umbrella.models import MembershipCategory, UmbrellaMembership

        categories = {}
        for category in MembershipCategory.objects.order_by("position"):
            categories.setdefault(category.body_id, []).append(category)
        # Every non-ECOSOC organization that comes often is an active member of VNGOC and the Alliance
        # (it registers through them); others applied, were declined or left.
        self.members_of = {"vngoc": set(), "alliance": set()}
        rows = []
        for pk in self.frequent + self.occasional:
            _state, ecosoc, *_rest = self.organization_rows[pk]
            for slug, body in self.bodies.items():
                if ecosoc == EcosocStatus.NONE and slug in self.members_of:
                    status = MembershipStatus.ACTIVE
                else:
                    if self.rng.random() > 0.06:
                        continue
                    status = self.rng.choices(
                        [MembershipStatus.ACTIVE, MembershipStatus.APPLIED, MembershipStatus.DECLINED, MembershipStatus.SUSPENDED, MembershipStatus.WITHDRAWN],
                        weights=[70, 10, 8, 4, 8],
                    )[0]
                if status == MembershipStatus.ACTIVE and slug in self.members_of:
                    self.members_of[slug].add(pk)
                applied = self.now - timedelta(days=self.rng.randint(30, 5000))
                changed = applied + timedelta(days=self.rng.randint(3, 40)) if status != MembershipStatus.APPLIED else applied
                body_categories = categories[body.pk]
                rows.append(
                    UmbrellaMembership(
                        organization_id=pk, body=body,
                        category=body_categories[0] if ecosoc != EcosocStatus.NONE else body_categories[-1],
                        status=status, motivation="We work on the themes of the commission and want to take part in its sessions.",
                        applied_by_id=self.focal_point_of.get(pk), created_at=applied, applied_at=applied,
                        changed_by_id=self.coordinators[slug].pk if status != MembershipStatus.APPLIED else None,
                        changed_at=changed, member_since=changed if status == MembershipStatus.ACTIVE else None,
                    )
                )
        batched_create(UmbrellaMembership, rows)
        self.membership_count = len(rows)

    # --- Registrations ------------------------------------------------------------------------------------------------

    def registrations_per_session(self) -> dict[int, int]:
        total = self.counts["registrations"]
        current = max(1, round(total * CURRENT_SHARE))
        weight_of_commission = {"cnd": 1.6, "ccpcj": 1.0, "cop-untoc": 0.8, "cosp": 1.0, "congress": 2.2, "dialogues": 0.25}
        first, last = self.session_list[0].start_date, self.current.start_date
        span = max((last - first).days, 1)
        weights = {
            session.pk: weight_of_commission[session.commission.code] * (1 + 1.5 * (session.start_date - first).days / span)
            for session in self.session_list[:-1]
        }
        scale = (total - current) / max(sum(weights.values()), 1e-9)
        counts = {pk: round(weight * scale) for pk, weight in weights.items()}
        counts[self.current.pk] = current
        # Rounding: the last past session takes up the difference, so that the total is exact.
        if len(self.session_list) > 1:
            counts[self.session_list[-2].pk] += total - sum(counts.values())
        return counts

    def pick_organizations(self, count: int) -> list[int]:
        """`count` different organizations, 60% from the frequent core."""
        from_core = min(len(self.frequent), round(count * 0.6))
        from_others = min(len(self.occasional), count - from_core)
        from_core = min(len(self.frequent), count - from_others)
        return self.rng.sample(self.frequent, from_core) + self.rng.sample(self.occasional, from_others)

    def registrations(self):
        from organizations.enums import EcosocStatus
        from sessions.enums import AdmissionRule, Channel, CongressCategory, RegistrationStatus as S, Rule17Outcome
        from sessions.models import Registration

        counts = self.registrations_per_session()
        purge_before = self.today - timedelta(days=90)
        rows = []
        for session in self.session_list:
            is_current = session.pk == self.current.pk
            rule = session.commission.admission_rule
            code = session.commission.code
            for organization_id in self.pick_organizations(counts[session.pk]):
                ecosoc = self.organization_rows[organization_id][1] != EcosocStatus.NONE
                body = None
                if rule == AdmissionRule.ECOSOC_REQUIRED and not ecosoc:
                    body = self.bodies["vngoc"] if code == "cnd" else self.bodies["alliance"]
                elif code in ("congress", "cop-untoc") and not ecosoc and self.rng.random() < 0.3:
                    body = self.bodies["alliance"]
                elif code == "cosp" and not ecosoc and self.rng.random() < 0.3:
                    body = self.bodies["uncac-coalition"]
                if is_current:
                    status = self.rng.choices(
                        [S.DRAFT, S.SUBMITTED, S.AWAITING_ENDORSEMENT, S.ENDORSED, S.APPROVED, S.RETURNED, S.WITHDRAWN, S.REJECTED, S.DECLINED],
                        weights=[14, 30, 10, 10, 22, 5, 4, 3, 2],
                    )[0]
                else:
                    status = self.rng.choices(
                        [S.APPROVED, S.REJECTED, S.WITHDRAWN, S.EXPIRED, S.DECLINED], weights=[80, 4, 6, 7, 3]
                    )[0]
                if body is None and status in (S.AWAITING_ENDORSEMENT, S.DECLINED):
                    status = S.SUBMITTED if is_current else S.REJECTED
                if body is None and status == S.ENDORSED:
                    status = S.SUBMITTED
                closes = session.registration_closes
                opens = session.registration_opens
                created = opens + (min(closes, self.now) - opens) * self.rng.random() * 0.8
                submitted = None if status in (S.DRAFT, S.EXPIRED) else created + timedelta(hours=self.rng.randint(1, 240))
                if submitted is not None and submitted > self.now:
                    submitted = self.now - timedelta(minutes=self.rng.randint(1, 600))
                decided = status in (S.APPROVED, S.REJECTED, S.RETURNED, S.DECLINED, S.ENDORSED)
                decided_at = min(submitted + timedelta(days=self.rng.randint(1, 20)), self.now) if decided and submitted else None
                rule17 = Rule17Outcome.NOT_LISTED
                if rule == AdmissionRule.RULE_17 and body is None and not ecosoc:
                    rule17 = Rule17Outcome.PENDING if is_current else self.rng.choices(
                        [Rule17Outcome.NO_OBJECTION, Rule17Outcome.OBJECTION], weights=[97, 3]
                    )[0]
                purged = session.end_date < purge_before
                rows.append(
                    Registration(
                        session=session, organization_id=organization_id,
                        channel=Channel.UMBRELLA if body else Channel.DIRECT, umbrella_body=body,
                        congress_category=(CongressCategory.ECOSOC if ecosoc else self.rng.choice([CongressCategory.EARLIER_CONGRESS, CongressCategory.NEW]))
                        if rule == AdmissionRule.CONGRESS else "",
                        status=status,
                        accreditation_letter="" if purged or submitted is None else f"letters/{session.pk}/{organization_id}.pdf",
                        rule17_outcome=rule17, created_by_id=self.focal_point_of.get(organization_id),
                        created_at=created, submitted_at=submitted,
                        decided_by=(self.coordinators[body.slug] if status in (S.ENDORSED, S.DECLINED) else self.rng.choice(self.staff)) if decided_at else None,
                        decided_at=decided_at,
                        reason="The accreditation letter does not name every representative." if status in (S.RETURNED, S.REJECTED) else "",
                        personal_data_purged_at=datetime.combine(session.end_date + timedelta(days=91), clock(3, 15), tzinfo=timezone.get_current_timezone()) if purged else None,
                    )
                )
        self.registration_list = batched_create(Registration, rows)

    def participants(self):
        from sessions.enums import Attendance, Gender, ParticipantRole, ParticipantStatus, RegistrationStatus as S
        from sessions.models import Participant

        target = self.counts["participants"]
        registrations = self.registration_list
        sizes = self.rng.choices(DELEGATION_SIZES, weights=DELEGATION_WEIGHTS, k=len(registrations))
        # Nudge the sizes so that the total is exactly the target.
        difference = target - sum(sizes)
        while difference:
            index = self.rng.randrange(len(sizes))
            if difference > 0 and sizes[index] < 10:
                sizes[index] += 1
                difference -= 1
            elif difference < 0 and sizes[index] > 1:
                sizes[index] -= 1
                difference += 1
        sessions = {session.pk: session for session in self.session_list}
        created = 0

        def rows() -> Iterator[Participant]:
            for registration, size in zip(registrations, sizes, strict=True):
                session = sessions[registration.session_id]
                country = self.organization_rows[registration.organization_id][2]
                purged = registration.personal_data_purged_at is not None
                for position in range(size):
                    nationality = str(country) if self.rng.random() < 0.75 else self.rng.choice(NATIONALITIES)
                    given, family = self.person_name(nationality)
                    if registration.status == S.APPROVED:
                        status = ParticipantStatus.REJECTED if self.rng.random() < 0.03 else ParticipantStatus.APPROVED
                    elif registration.status == S.REJECTED:
                        status = ParticipantStatus.REJECTED
                    else:
                        status = ParticipantStatus.PENDING
                    born = date(self.rng.randint(1950, 2002), self.rng.randint(1, 12), self.rng.randint(1, 28))
                    yield Participant(
                        registration_id=registration.pk, family_name=family.upper() if self.rng.random() < 0.3 else family,
                        given_names=given,
                        gender=self.rng.choices([Gender.FEMALE, Gender.MALE, Gender.OTHER], weights=[49, 48, 3])[0],
                        nationality=nationality,
                        date_of_birth=None if purged else born,
                        passport_number="" if purged else f"{chr(65 + self.rng.randrange(26))}{self.rng.randrange(10**7):07d}",
                        passport_expiry=None if purged else session.end_date + timedelta(days=self.rng.randint(60, 3000)),
                        email=f"{slugify(given)}.{slugify(family)}.{registration.pk}.{position}@example.org",
                        role=ParticipantRole.HEAD if position == 0 and size > 1 else ParticipantRole.REPRESENTATIVE,
                        attendance=Attendance.ONLINE if self.rng.random() < 0.15 else Attendance.IN_PERSON,
                        needs_visa_letter=self.rng.random() < 0.2,
                        status=status, position=position, created_at=registration.created_at,
                    )

        batch = []
        for participant in rows():
            batch.append(participant)
            if len(batch) == BATCH_SIZE:
                Participant.objects.bulk_create(batch)
                created += len(batch)
                batch = []
        Participant.objects.bulk_create(batch)
        self.participant_count = created + len(batch)

    # --- Side events ---------------------------------------------------------------------------------------------------

    def slots_for(self, session) -> list:
        from events.models import Slot

        tz = zoneinfo.ZoneInfo(session.time_zone)
        slots = []
        day = session.start_date
        while day <= session.end_date:
            slots += [
                Slot(session=session, starts_at=datetime.combine(day, start, tzinfo=tz), ends_at=datetime.combine(day, end, tzinfo=tz))
                for start, end in SLOT_TIMES
            ]
            day += timedelta(days=1)
        return slots

    def side_events(self):
        from events.enums import CoOrganizerStatus, EventFormat, SideEventStatus as E, SpeakerGender
        from events.models import CoOrganizer, SideEvent, Slot, Speaker
        from organizations.models import ThematicArea

        total = self.counts["side_events"]
        current_count = min(round(CURRENT_PROGRAMME * 1.6 * max(self.scale, 0.5)), total)
        hosts = [session for session in self.session_list[:-1] if session.commission.code != "dialogues"]
        per_host = {session.pk: 0 for session in hosts}
        for index in range(total - current_count):
            per_host[hosts[index % len(hosts)].pk] += 1 if hosts else 0
        per_session = {**per_host, self.current.pk: current_count}
        slots = Slot.objects.bulk_create([slot for session in self.session_list if per_session.get(session.pk) for slot in self.slots_for(session)])
        slots_of = {}
        for slot in slots:
            slots_of.setdefault(slot.session_id, []).append(slot)
        areas = list(ThematicArea.objects.all())
        events, themes, speakers, co_organizers = [], [], [], []
        for session in self.session_list:
            count = per_session.get(session.pk, 0)
            if not count:
                continue
            is_current = session.pk == self.current.pk
            places = [(room, slot) for slot in slots_of[session.pk] for room in self.rooms[session.venue]]
            self.rng.shuffle(places)
            leads = self.pick_organizations(count)
            for lead in leads:
                if is_current:
                    status = self.rng.choices([E.ACCEPTED, E.SUBMITTED, E.WAITLISTED, E.REJECTED, E.WITHDRAWN, E.CANCELLED, E.RETURNED], weights=[62, 12, 8, 8, 4, 3, 3])[0]
                else:
                    status = self.rng.choices([E.ACCEPTED, E.REJECTED, E.WITHDRAWN, E.CANCELLED], weights=[72, 14, 9, 5])[0]
                place = places.pop() if status in (E.ACCEPTED, E.CANCELLED) and places else None
                if place is None and status in (E.ACCEPTED, E.CANCELLED):
                    status = E.WAITLISTED if is_current else E.REJECTED
                topic = self.rng.choice(EVENT_TOPICS)
                submitted = session.side_events_open + (session.side_events_close - session.side_events_open) * self.rng.random()
                event_format = self.rng.choices([EventFormat.IN_PERSON, EventFormat.HYBRID, EventFormat.ONLINE], weights=[55, 40, 5])[0]
                lead_name = self.organization_rows[lead][3]
                events.append(
                    SideEvent(
                        session=session, lead_organization_id=lead,
                        title=f"{topic}: {self.rng.choice(EVENT_ANGLES)}",
                        description=(
                            f"{lead_name} and its partners discuss {topic.lower()} with delegations, experts and people "
                            "with lived experience. The panel presents recent findings and recommendations, then takes questions."
                        ),
                        format=event_format,
                        online_link=f"https://meet.example.org/{session.pk}-{lead}" if event_format != EventFormat.IN_PERSON else "",
                        languages=self.rng.choice([["en"], ["en"], ["en", "es"], ["en", "fr"], ["en", "ru"], ["en", "ar"]]),
                        expected_audience=self.rng.choice([30, 40, 50, 60, 80, 100]),
                        co_sponsoring_states=sorted(set(self.rng.sample(NATIONALITIES, self.rng.randint(0, 3)))),
                        status=status, created_by_id=self.focal_point_of.get(lead),
                        created_at=submitted - timedelta(days=1), submitted_at=submitted,
                        decided_by=self.rng.choice(self.staff) if status not in (E.SUBMITTED,) else None,
                        decided_at=submitted + timedelta(days=10) if status != E.SUBMITTED else None,
                        room=place[0] if place else None, slot=place[1] if place else None,
                        sequence=1 if place else 0, updated_at=submitted + timedelta(days=10),
                    )
                )
        events = batched_create(SideEvent, events)
        through = SideEvent.themes.through
        for event in events:
            themes += [through(sideevent_id=event.pk, thematicarea_id=area.pk) for area in self.rng.sample(areas, self.rng.randint(1, 3))]
            country = self.organization_rows[event.lead_organization_id][2]
            for position in range(self.rng.randint(2, 6)):
                nationality = str(country) if self.rng.random() < 0.5 else self.rng.choice(NATIONALITIES)
                given, family = self.person_name(nationality)
                speakers.append(
                    Speaker(
                        event_id=event.pk, name=f"{given} {family}", title=self.rng.choice(SPEAKER_TITLES),
                        affiliation=self.organization_rows[event.lead_organization_id][3][:200],
                        gender=self.rng.choices([SpeakerGender.FEMALE, SpeakerGender.MALE, SpeakerGender.OTHER], weights=[50, 47, 3])[0],
                        country=nationality, position=position,
                    )
                )
            for partner in set(self.rng.sample(self.frequent, min(len(self.frequent), self.rng.choice([0, 0, 1, 1, 2, 3])))) - {event.lead_organization_id}:
                co_organizers.append(
                    CoOrganizer(
                        event_id=event.pk, organization_id=partner,
                        status=CoOrganizerStatus.CONFIRMED if self.rng.random() < 0.8 else CoOrganizerStatus.PENDING,
                        decided_at=event.submitted_at,
                    )
                )
        batched_create(through, themes, batch_size=BATCH_SIZE * 2)
        batched_create(Speaker, speakers)
        batched_create(CoOrganizer, co_organizers)
        self.event_list = events
        self.speaker_count, self.co_organizer_count = len(speakers), len(co_organizers)

    # --- The activity log ------------------------------------------------------------------------------------------------

    def activity_log(self):
        """What the pages read back: an organization's history, a registration's timeline."""
        from organizations.models import Organization
        from portal.models import ActivityLog
        from sessions.enums import RegistrationStatus as S
        from sessions.models import Registration

        organization_type = ContentType.objects.get_for_model(Organization)
        registration_type = ContentType.objects.get_for_model(Registration)

        def entries() -> Iterator[ActivityLog]:
            for pk, (state, _ecosoc, _country, name) in self.organization_rows.items():
                yield ActivityLog(action="organizations.organization.registered", actor_id=self.focal_point_of.get(pk),
                                  content_type=organization_type, object_id=str(pk), object_repr=name[:200],
                                  new_values={"verification_state": "pending"}, created_at=self.now - timedelta(days=self.rng.randint(400, 4000)))
                if state != "pending":
                    yield ActivityLog(action=f"organizations.organization.{state}", actor=self.rng.choice(self.staff),
                                      content_type=organization_type, object_id=str(pk), object_repr=name[:200],
                                      old_values={"verification_state": "pending"}, new_values={"verification_state": state},
                                      created_at=self.now - timedelta(days=self.rng.randint(1, 399)))
            for registration in self.registration_list:
                repr_ = f"registration {registration.pk}"
                yield ActivityLog(action="sessions.registration.started", actor_id=registration.created_by_id, content_type=registration_type,
                                  object_id=str(registration.pk), object_repr=repr_, new_values={"status": "draft"}, created_at=registration.created_at)
                if registration.submitted_at:
                    yield ActivityLog(action="sessions.registration.submitted", actor_id=registration.created_by_id, content_type=registration_type,
                                      object_id=str(registration.pk), object_repr=repr_, old_values={"status": "draft"},
                                      new_values={"status": "submitted"}, created_at=registration.submitted_at)
                if registration.decided_at and registration.status != S.ENDORSED:
                    yield ActivityLog(action=f"sessions.registration.{registration.status}", actor_id=registration.decided_by_id,
                                      content_type=registration_type, object_id=str(registration.pk), object_repr=repr_,
                                      old_values={"status": "submitted"}, new_values={"status": registration.status},
                                      created_at=registration.decided_at)

        count = 0
        batch = []
        for entry in entries():
            batch.append(entry)
            if len(batch) == BATCH_SIZE:
                ActivityLog.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        ActivityLog.objects.bulk_create(batch)
        self.log_count = count + len(batch)

    def vacuum_analyze(self):
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    def summary(self) -> dict[str, int]:
        return {
            "organizations": len(self.organization_rows),
            "sessions": len(self.session_list),
            "registrations": len(self.registration_list),
            f"in the current session ({self.current})": sum(1 for r in self.registration_list if r.session_id == self.current.pk),
            "participants": self.participant_count,
            "side events": len(self.event_list),
            "speakers": self.speaker_count,
            "co-organizers": self.co_organizer_count,
            "umbrella memberships": self.membership_count,
            "activity log entries": self.log_count,
        }
