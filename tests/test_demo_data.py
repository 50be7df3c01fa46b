"""The demo data: idempotent, realistic on any day, and every printed account can log in."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from organizations.models import Organization, OrganizationMember
from portal.models import User
from events.models import SideEvent, Slot
from sessions.models import Commission, Participant, Registration, Session
from sessions.selectors import upcoming_sessions
from sessions.statistics import commission_trends, session_statistics
from umbrella.models import Coordinator, UmbrellaBody

pytestmark = pytest.mark.django_db

VIENNA = ZoneInfo("Europe/Vienna")
DEMO_PASSWORD = "portal-demo-2026"
DEMO_EMAILS = [
    "csu@demo.unodc.test",
    "vngoc@demo.unodc.test",
    "alliance@demo.unodc.test",
    "uncac-coalition@demo.unodc.test",
    "focal.one@demo.unodc.test",
    "focal.two@demo.unodc.test",
    "newcomer@demo.unodc.test",
]

# UN regional groups of the headquarters countries the demo uses.
REGIONAL_GROUPS = {
    "African": {"KE", "NG", "ZA", "SN", "GH", "MA", "UG", "CM"},
    "Asia-Pacific": {"IN", "PH", "ID", "TH", "NP", "PK", "KZ", "LB"},
    "Eastern European": {"UA", "PL", "GE", "RO", "RS", "MD", "EE"},
    "Latin American and Caribbean": {"GT", "BR", "AR", "MX", "PE", "CL", "JM"},
    "Western European and other": {"AT", "DE", "FR", "GB", "CA", "US"},
}


# The sessions around 22 November 2026: the latest past one of each commission and the next ones.
AROUND_2026_11_22 = {
    ("cnd", 69), ("cnd", 70), ("cnd", 71), ("ccpcj", 35), ("ccpcj", 36), ("ccpcj", 37), ("cop-untoc", 13), ("cop-untoc", 14),
    ("cosp", 11), ("cosp", 12), ("congress", 15), ("congress", 16),
}  # fmt: skip


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    return out.getvalue()


def model_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def session_rows() -> list[tuple]:
    return list(
        Session.objects.order_by("commission__code", "number").values_list(
            "commission__code", "number", "title", "start_date", "end_date", "venue", "time_zone", "format",
            "registration_opens", "registration_closes", "quota_per_organization",
        )
    )  # fmt: skip


def open_sessions() -> list[tuple[str, int]]:
    return [
        (session.commission.code, session.number)
        for session in upcoming_sessions()
        if session.registration_state == "open"
    ]


def test_load_demo_data_twice_changes_nothing():
    load_demo()
    counts, sessions = model_counts(), session_rows()

    load_demo()

    assert model_counts() == counts
    assert session_rows() == sessions
    assert {label: counts[label] for label in [
        "commission_sessions.Commission", "umbrella.UmbrellaBody", "organizations.Organization",
        "portal.User", "account.EmailAddress", "umbrella.Coordinator", "organizations.OrganizationMember",
        "auth.Group",
    ]} == {
        "commission_sessions.Commission": 5, "umbrella.UmbrellaBody": 3, "organizations.Organization": 36,
        "portal.User": 7, "account.EmailAddress": 7, "umbrella.Coordinator": 3,
        "organizations.OrganizationMember": 2, "auth.Group": 1,
    }  # fmt: skip


def test_load_demo_data_commissions_with_their_admission_rules():
    load_demo()

    assert {c.code: (c.abbreviation, c.name, c.admission_rule) for c in Commission.objects.all()} == {
        "cnd": ("CND", "Commission on Narcotic Drugs", "ecosoc"),
        "ccpcj": ("CCPCJ", "Commission on Crime Prevention and Criminal Justice", "ecosoc"),
        "cop-untoc": (
            "COP-UNTOC",
            "Conference of the Parties to the United Nations Convention against Transnational Organized Crime",
            "rule17",
        ),
        "cosp": (
            "UNCAC COSP",
            "Conference of the States Parties to the United Nations Convention against Corruption",
            "rule17",
        ),
        "congress": ("Crime Congress", "United Nations Congress on Crime Prevention and Criminal Justice", "congress"),
    }


def test_load_demo_data_umbrella_bodies_cover_their_commissions():
    load_demo()

    bodies = {
        body.slug: (body.acronym, body.name, body.founded, sorted(c.code for c in body.commissions.all()))
        for body in UmbrellaBody.objects.all()
    }
    assert bodies == {
        "vngoc": ("VNGOC", "Vienna NGO Committee on Drugs", 1983, ["cnd"]),
        "uncac-coalition": ("UNCAC Coalition", "UNCAC Coalition", 2006, ["cosp"]),
        "alliance": (
            "Alliance",
            "Alliance of NGOs on Crime Prevention and Criminal Justice",
            1972,
            ["ccpcj", "congress", "cop-untoc"],
        ),
    }


def test_load_demo_data_today_has_an_upcoming_session_open_for_registration():
    load_demo()

    assert len(open_sessions()) >= 1
    assert {session.commission.code for session in upcoming_sessions()} == {
        "cnd", "ccpcj", "cop-untoc", "cosp", "congress"
    }  # fmt: skip


@time_machine.travel(datetime(2026, 11, 22, 10, 0, tzinfo=VIENNA), tick=False)
def test_load_demo_data_on_a_known_day_creates_the_real_calendar():
    output = load_demo()

    sessions = {(s.commission.code, s.number): (s.start_date, s.venue, s.registration_state) for s in Session.objects.all()}
    history = sorted(key for key in sessions if key not in AROUND_2026_11_22)
    assert history == [
        *(("ccpcj", number) for number in range(27, 35)),
        *(("cnd", number) for number in range(61, 69)),
        ("congress", 14),
        *(("cop-untoc", number) for number in range(9, 13)),
        *(("cosp", number) for number in range(8, 11)),
    ]
    assert sessions[("cosp", 8)] == (date(2019, 12, 16), "Abu Dhabi, United Arab Emirates", "closed")
    assert {key: value for key, value in sessions.items() if key in AROUND_2026_11_22} == {
        ("cnd", 69): (date(2026, 3, 9), "Vienna International Centre, Vienna", "closed"),
        ("cnd", 70): (date(2027, 3, 8), "Vienna International Centre, Vienna", "open"),
        ("cnd", 71): (date(2028, 3, 13), "Vienna International Centre, Vienna", "not_yet_open"),
        ("ccpcj", 35): (date(2026, 5, 18), "Vienna International Centre, Vienna", "closed"),
        ("ccpcj", 36): (date(2027, 5, 17), "Vienna International Centre, Vienna", "not_yet_open"),
        ("ccpcj", 37): (date(2028, 5, 15), "Vienna International Centre, Vienna", "not_yet_open"),
        ("cop-untoc", 13): (date(2026, 10, 12), "Vienna International Centre, Vienna", "closed"),
        ("cop-untoc", 14): (date(2028, 10, 9), "Vienna International Centre, Vienna", "not_yet_open"),
        ("cosp", 11): (date(2025, 12, 15), "Doha, Qatar", "closed"),
        ("cosp", 12): (date(2027, 12, 13), "To be announced", "not_yet_open"),
        ("congress", 15): (date(2026, 4, 25), "Abu Dhabi, United Arab Emirates", "closed"),
        ("congress", 16): (date(2031, 4, 27), "To be announced", "not_yet_open"),
    }
    cnd_70 = Session.objects.get(commission__code="cnd", number=70)
    assert cnd_70.title == "Seventieth session of the Commission on Narcotic Drugs"
    assert cnd_70.registration_opens == datetime(2026, 11, 8, 9, 0, tzinfo=VIENNA)
    assert cnd_70.registration_closes == datetime(2027, 2, 8, 23, 59, tzinfo=VIENNA)
    assert cnd_70.quota_per_organization == 10
    assert Session.objects.get(commission__code="congress", number=15).title == (
        "Fifteenth United Nations Congress on Crime Prevention and Criminal Justice"
    )
    assert "Seventieth" not in output  # the start-up text stays short: accounts only


@time_machine.travel(datetime(2029, 6, 15, 12, 0, tzinfo=VIENNA), tick=False)
def test_load_demo_data_in_another_year_still_has_a_session_open_for_registration():
    load_demo()

    assert upcoming_sessions().count() == 7
    # No usual window is open in mid-June 2029, so the soonest session far enough ahead gets one.
    assert open_sessions() == [("cosp", 13)]
    cosp_13 = Session.objects.get(commission__code="cosp", number=13)
    assert (cosp_13.start_date, cosp_13.registration_opens, cosp_13.registration_closes) == (
        date(2029, 12, 10),
        datetime(2029, 6, 8, 9, 0, tzinfo=VIENNA),
        datetime(2029, 11, 12, 23, 59, tzinfo=VIENNA),
    )


def test_load_demo_data_rerun_on_a_later_day_updates_sessions_without_duplicates():
    with time_machine.travel(datetime(2029, 6, 15, 12, 0, tzinfo=VIENNA), tick=False):
        load_demo()
    counts = model_counts()
    sessions_before = set(Session.objects.values_list("commission__code", "number"))

    with time_machine.travel(datetime(2029, 11, 20, 12, 0, tzinfo=VIENNA), tick=False):
        load_demo()
        assert open_sessions() == [("cnd", 73)]
    assert model_counts() == counts
    # COSP 13 is back to its usual window now that CND 73 is open.
    cosp_13 = Session.objects.get(commission__code="cosp", number=13)
    assert cosp_13.registration_opens == datetime(2029, 8, 12, 9, 0, tzinfo=VIENNA)

    with time_machine.travel(datetime(2030, 4, 1, 12, 0, tzinfo=VIENNA), tick=False):
        load_demo()
        assert open_sessions() == [("ccpcj", 39)]
    after = model_counts()
    assert after.pop("commission_sessions.Session") == counts.pop("commission_sessions.Session") + 2
    assert after == counts
    assert set(Session.objects.values_list("commission__code", "number")) - sessions_before == {("cnd", 75), ("cosp", 14)}


def test_load_demo_data_organizations_span_all_regional_groups():
    load_demo()

    organizations = list(Organization.objects.all())
    by_group = {
        group: sorted(o.slug for o in organizations if o.headquarters_country.code in countries)
        for group, countries in REGIONAL_GROUPS.items()
    }
    assert sum(len(slugs) for slugs in by_group.values()) == 36
    assert {group: len(slugs) >= 6 for group, slugs in by_group.items()} == dict.fromkeys(REGIONAL_GROUPS, True)
    assert [o.verification_state for o in organizations].count("verified") == 31
    assert sorted(o.slug for o in organizations if o.verification_state == "pending") == ["aiw", "erc", "nyad", "opi"]
    assert [o.slug for o in organizations if o.verification_state == "changes_requested"] == ["clai"]
    assert {o.ecosoc_status for o in organizations} == {"none", "roster", "special", "general"}
    assert [o.slug for o in organizations if (o.ecosoc_status == "none") != (o.ecosoc_year is None)] == []
    assert [o.slug for o in organizations if not o.website.endswith(".example/")] == []


def test_load_demo_data_every_demo_account_can_log_in_with_the_printed_password():
    load_demo()

    for email in DEMO_EMAILS:
        client = Client()
        response = client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})
        assert (email, response.status_code, response["Location"]) == (email, 302, "/")
        assert "Welcome" in client.get("/").content.decode()


def test_load_demo_data_gives_each_account_its_role():
    load_demo()

    csu = User.objects.get(email="csu@demo.unodc.test")
    group = Group.objects.get(name=settings.CSU_STAFF_GROUP)
    assert ([g.name for g in csu.groups.all()], csu.is_staff, csu.is_superuser) == (["CSU staff"], True, False)
    assert set(group.permissions.all()) == set(
        Permission.objects.filter(
            content_type__app_label__in=["portal", "organizations", "umbrella", "commission_sessions", "events"]
        )
    )
    assert group.permissions.filter(codename="change_organization").exists()
    assert list(group.user_set.all()) == [csu]

    coordinators = {link.user.email: [] for link in Coordinator.objects.select_related("user")}
    for link in Coordinator.objects.select_related("user", "body"):
        coordinators[link.user.email].append(link.body.slug)
    assert coordinators == {
        "vngoc@demo.unodc.test": ["vngoc"],
        "alliance@demo.unodc.test": ["alliance"],
        "uncac-coalition@demo.unodc.test": ["uncac-coalition"],
    }

    members = {
        (m.user.email, m.organization.slug, m.organization.verification_state, m.role)
        for m in OrganizationMember.objects.select_related("user", "organization")
    }
    assert members == {
        ("focal.one@demo.unodc.test", "khrn", "verified", "focal_point"),
        ("focal.two@demo.unodc.test", "fjp", "verified", "focal_point"),
    }

    newcomer = User.objects.get(email="newcomer@demo.unodc.test")
    assert (newcomer.groups.count(), newcomer.coordinator_links.count(), newcomer.organization_memberships.count()) == (
        0,
        0,
        0,
    )
    assert sorted(EmailAddress.objects.values_list("email", "verified", "primary")) == sorted(
        (email, True, True) for email in DEMO_EMAILS
    )
    assert [u.email for u in User.objects.filter(full_name="")] == []


def test_load_demo_data_keeps_what_a_tester_changed_and_restores_the_login():
    load_demo()
    organization = Organization.objects.get(slug="aiw")
    organization.verification_state = "verified"
    organization.save()
    EmailAddress.objects.filter(email="newcomer@demo.unodc.test").update(verified=False)

    load_demo()

    assert Organization.objects.get(slug="aiw").verification_state == "verified"
    assert EmailAddress.objects.get(email="newcomer@demo.unodc.test").verified is True


def test_load_demo_data_prints_accounts_password_and_address():
    output = load_demo()

    assert [email for email in DEMO_EMAILS if email not in output] == []
    assert output.count(DEMO_PASSWORD) == len(DEMO_EMAILS)
    assert "two-factor authentication" in output
    assert output.strip().endswith("Open http://127.0.0.1:8000/")


def test_load_demo_data_refuses_a_production_configuration(settings):
    settings.HTTPS_ONLY = True

    with pytest.raises(CommandError, match="--force"):
        load_demo()
    assert User.objects.count() == 0

    call_command("load_demo_data", "--force", stdout=io.StringIO())
    assert User.objects.count() == 7


@time_machine.travel(datetime(2026, 11, 22, 10, 0, tzinfo=VIENNA), tick=False)
def test_load_demo_data_history_gives_trends_that_look_like_real_years():
    load_demo()

    points = commission_trends(Commission.objects.get(code="cnd"))
    assert [(point.session.number, point.year) for point in points] == [(61 + n, 2018 + n) for n in range(9)]
    assert [point.representatives > 0 and point.side_events > 0 for point in points] == [True] * 9
    assert points[-1].representatives > 3 * points[0].representatives
    assert points[-1].organizations > 2 * points[0].organizations
    assert points[-1].regional_groups == 5
    latest = session_statistics(Session.objects.get(commission__code="cnd", number=69))
    assert latest.sentence.startswith("At its 69th session, the CND welcomed ")
    assert latest.sentence.endswith(" countries and all five regional groups.")
    assert latest.first_time_organizations != []
    assert [len(commission_trends(Commission.objects.get(code=code))) for code in ("ccpcj", "cop-untoc", "cosp", "congress")] == [9, 5, 4, 2]
    # Only verified organizations took part; past sessions' personal data is purged already.
    assert Registration.objects.filter(session__end_date__lt=date(2026, 11, 22)).exclude(organization__verification_state="verified").count() == 0
    assert Participant.objects.filter(registration__session__end_date__lt=date(2026, 8, 1)).exclude(passport_number="").count() == 0
    assert Registration.objects.filter(session__end_date__lt=date(2026, 8, 1), personal_data_purged_at__isnull=True).count() == 0


def test_load_demo_data_history_is_the_same_on_every_load_of_the_same_day():
    with time_machine.travel(datetime(2026, 11, 22, 10, 0, tzinfo=VIENNA), tick=False):
        load_demo()
        first = [(p.session.number, p.representatives, p.organizations, p.side_events) for p in commission_trends(Commission.objects.get(code="cnd"))]
        Registration.objects.all().delete()
        SideEvent.objects.all().delete()
        Slot.objects.all().delete()
        load_demo()
        again = [(p.session.number, p.representatives, p.organizations, p.side_events) for p in commission_trends(Commission.objects.get(code="cnd"))]
    assert again == first
