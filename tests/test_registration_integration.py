"""Where registrations meet the rest of the portal: the home page's to-dos, the navigation,
the coordinator dashboard's upcoming participation, the demo data."""

import datetime as dt
import html
import re

import pytest
from allauth.mfa.models import Authenticator
from django.utils import timezone

from portal.demo import load_demo_data
from sessions.models import Participant, Registration, Session
from tests.conftest import give_totp
from umbrella.models import MembershipCategory, UmbrellaMembership


def words(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def todos(response) -> list[str]:
    page = re.sub(r"\s+", " ", response.content.decode())
    found = re.search(r'<ul class="todo-list">(.*?)</ul>', page)
    return [words(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", found.group(1))] if found else []


def sign_in(client, user):
    if (user.groups.exists() or user.coordinator_links.exists()) and not Authenticator.objects.filter(user=user).exists():
        give_totp(user)
    client.force_login(user)


@pytest.fixture
def cnd(commissions):
    now = timezone.now()
    start = (now + dt.timedelta(days=60)).date()
    return Session.objects.create(
        commission=commissions["cnd"], number=70, title="70th session of the Commission on Narcotic Drugs",
        start_date=start, end_date=start + dt.timedelta(days=4), venue="Vienna",
        registration_opens=now - dt.timedelta(days=5), registration_closes=now + dt.timedelta(days=5),
    )


def registration(session, organization, status, body=None) -> Registration:
    return Registration.objects.create(
        session=session, organization=organization, status=status,
        channel="umbrella" if body else "direct", umbrella_body=body,
    )


@pytest.mark.django_db
def test_home_lists_what_each_role_has_to_do_about_registrations(client, cnd, organizations, focal_points, bodies, coordinators, csu_officer):
    category = MembershipCategory.objects.create(body=bodies["vngoc"], name="Full member")
    UmbrellaMembership.objects.create(organization=organizations["a"], body=bodies["vngoc"], category=category, status="active")
    registration(cnd, organizations["a"], "awaiting", bodies["vngoc"])
    registration(cnd, organizations["b"], "returned")

    sign_in(client, coordinators["vngoc"])
    assert todos(client.get("/"))[-1] == "1 registration through VNGOC awaits your endorsement."

    sign_in(client, focal_points["b"])
    assert todos(client.get("/")) == [
        "The Civil Society Unit returned the delegation of Prison Reform Network (PRN) to 70th session of the "
        "Commission on Narcotic Drugs for changes."
    ]

    Registration.objects.filter(organization=organizations["b"]).update(status="submitted")
    sign_in(client, csu_officer)
    assert todos(client.get("/"))[-1] == "1 registration for 70th session of the Commission on Narcotic Drugs awaits your decision."


@pytest.mark.django_db
def test_home_asks_a_focal_point_to_submit_a_draft_and_stops_offering_to_register(client, cnd, organizations, focal_points):
    registration(cnd, organizations["a"], "draft")
    sign_in(client, focal_points["a"])

    closes = timezone.localtime(cnd.registration_closes, cnd.tz)
    assert todos(client.get("/")) == [
        "The delegation of Harm Reduction Alliance (HRA) to 70th session of the Commission on Narcotic Drugs is a draft: "
        f"submit it before {closes:%-d %B %Y, %H:%M} Vienna time."
    ]


@pytest.mark.django_db
def test_navigation_offers_my_registrations_to_focal_points_only(client, focal_points, outsider):
    sign_in(client, focal_points["a"])
    assert '<a href="/sessions/registrations/">My registrations</a>' in client.get("/").content.decode()
    client.force_login(outsider)
    assert "My registrations" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_dashboard_shows_members_upcoming_participation_but_not_their_drafts(client, cnd, commissions, organizations, bodies, coordinators):
    category = MembershipCategory.objects.create(body=bodies["vngoc"], name="Full member")
    for organization in organizations.values():
        UmbrellaMembership.objects.create(organization=organization, body=bodies["vngoc"], category=category, status="active")
    registration(cnd, organizations["a"], "awaiting", bodies["vngoc"])
    registration(cnd, organizations["b"], "draft")
    sign_in(client, coordinators["vngoc"])

    page = re.sub(r"\s+", " ", client.get("/umbrella/vngoc/manage/").content.decode())

    rows = {words(row.split("</th>")[0]): words(row.split("</td>")[-2]) for row in re.findall(r"<tr>(.*?)</tr>", page.split('id="members-heading"')[1])[1:]}
    assert rows == {
        "Harm Reduction Alliance (HRA)": "CND 70 (with this body): Awaiting endorsement by the umbrella body",
        "Prison Reform Network (PRN)": "—",
    }


@pytest.mark.django_db
def test_demo_data_holds_delegations_in_every_stage_for_the_open_session(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    load_demo_data()
    load_demo_data()  # a second start changes nothing

    # The other delegations are the history of past sessions, for the statistics.
    sessions = Session.objects.filter(registrations__isnull=False).distinct()
    states = [session.registration_state for session in sessions]
    assert (states.count("open"), set(states) - {"open"}) == (1, {"closed"})
    current = Registration.objects.filter(session__in=[s for s in sessions if s.registration_state == "open"])
    assert sorted(current.values_list("organization__acronym", "status")) == [
        ("IBPD", "submitted"), ("INEDP", "approved"), ("REMEREDA", "awaiting"), ("TCHA", "endorsed"), ("UHRL", "submitted"),
    ]
    assert Participant.objects.filter(registration__in=current).count() == 9
    assert all(registration.accreditation_letter.read().startswith(b"%PDF-") for registration in current)


@pytest.mark.django_db
def test_home_asks_for_co_organizer_confirmations_and_tells_csu_of_side_events_to_review(client, commissions, organizations, focal_points, csu_officer):
    from events.models import CoOrganizer, SideEvent

    now = timezone.now()
    session = Session.objects.create(
        commission=commissions["cnd"], number=70, title="70th session of the Commission on Narcotic Drugs",
        start_date=(now + dt.timedelta(days=60)).date(), end_date=(now + dt.timedelta(days=64)).date(), venue="Vienna",
    )
    event = SideEvent.objects.create(session=session, lead_organization=organizations["a"], title="Drug checking", description="x", status="submitted")
    CoOrganizer.objects.create(event=event, organization=organizations["b"])

    sign_in(client, focal_points["b"])
    assert todos(client.get("/")) == ["Harm Reduction Alliance (HRA) asks you to confirm that your organization co-organizes “Drug checking”."]
    sign_in(client, csu_officer)
    assert todos(client.get("/"))[-1] == "1 side-event application for 70th session of the Commission on Narcotic Drugs awaits review."
