"""CSU's pages to create and edit sessions, and what the public session pages say and offer."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages

from organizations.enums import VerificationState
from organizations.models import OrganizationMember
from portal.models import ActivityLog
from sessions.enums import AdmissionRule, RegistrationStatus
from sessions.models import Registration, Session
from tests.conftest import give_totp

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
CND_70 = "70th session of the Commission on Narcotic Drugs"
# 09:00 Vienna time (CET) on 1 February; 23:59 Vienna time (CEST) on 17 May.
OPENS = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)
CLOSES = dt.datetime(2027, 5, 17, 21, 59, tzinfo=dt.UTC)


# --- Helpers ---------------------------------------------------------------------------------


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def all_field_errors(response) -> dict[str, list[str]]:
    page = response.content.decode()
    return {
        field: [html.unescape(error) for error in re.findall(r"<li>(.*?)</li>", errors, re.S)]
        for field, errors in re.findall(r'<ul class="field-errors" id="id_(\w+)_error">(.*?)</ul>', page, re.S)
    }


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def log_of(session) -> list[tuple[str, str, dict, dict]]:
    return [
        (entry.action, entry.actor.email, entry.old_values, entry.new_values)
        for entry in ActivityLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Session), object_id=str(session.pk)
        ).order_by("id")
    ]


def snapshot(session: Session) -> dict:
    session = Session.objects.get(pk=session.pk)
    return {
        "commission": session.commission.code,
        "number": session.number,
        "title": session.title,
        "start_date": session.start_date,
        "end_date": session.end_date,
        "venue": session.venue,
        "time_zone": session.time_zone,
        "format": session.format,
        "registration_opens": session.registration_opens,
        "registration_closes": session.registration_closes,
        "quota_per_organization": session.quota_per_organization,
        "admission_rule": session.admission_rule,
    }


def form_data(commissions, **changes) -> dict:
    data = {
        "commission": str(commissions["cnd"].pk),
        "number": "70",
        "title": CND_70,
        "start_date": "2027-06-14",
        "end_date": "2027-06-18",
        "venue": "Vienna International Centre, Vienna",
        "time_zone": "Europe/Vienna",
        "format": "hybrid",
        "registration_opens": "2027-02-01T09:00",
        "registration_closes": "2027-05-17T23:59",
        "quota_per_organization": "10",
        "admission_rule": "",
    }
    return data | changes


@pytest.fixture
def csu(client, csu_officer):
    """The CSU officer, signed in with TOTP set up (staff pages need it)."""
    give_totp(csu_officer)
    client.force_login(csu_officer)
    return csu_officer


@pytest.fixture
def cnd_70(commissions):
    return Session.objects.create(
        commission=commissions["cnd"],
        number=70,
        title=CND_70,
        start_date=dt.date(2027, 6, 14),
        end_date=dt.date(2027, 6, 18),
        venue="Vienna International Centre, Vienna",
        registration_opens=OPENS,
        registration_closes=CLOSES,
    )


@pytest.fixture(params=["coordinator", "focal_point", "outsider"])
def not_csu(request, client, coordinators, focal_points, outsider):
    """Each signed-in person who is not CSU; the coordinator with TOTP, as staff pages ask of them."""
    person = {"coordinator": coordinators["vngoc"], "focal_point": focal_points["a"], "outsider": outsider}[request.param]
    if request.param == "coordinator":
        give_totp(person)
    client.force_login(person)
    return person


# --- Creating a session --------------------------------------------------------------------


def test_session_create_sends_the_public_to_sign_in(client):
    response = client.get("/sessions/new/")

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next=/sessions/new/")


def test_session_create_does_not_exist_for_anyone_but_csu(client, commissions, not_csu):
    assert client.get("/sessions/new/").status_code == 404
    assert client.post("/sessions/new/", form_data(commissions)).status_code == 404
    assert Session.objects.count() == 0


def test_session_create_asks_csu_for_mfa_first(client, csu_officer):
    client.force_login(csu_officer)

    response = client.get("/sessions/new/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/totp/activate/")


def test_session_create_shows_the_form_with_its_defaults(client, commissions, csu):
    response = client.get("/sessions/new/")

    page = text(response)
    assert response.status_code == 200
    assert "<h1>New session</h1>" in page
    assert '<label for="id_commission">Commission</label>' in page
    assert '<label for="id_time_zone">Time zone of the venue</label>' in page
    assert '<option value="Europe/Vienna" selected>Europe/Vienna</option>' in page
    assert '<option value="America/New_York">America/New York</option>' in page
    assert 'type="datetime-local" name="registration_opens"' in page
    assert 'type="date" name="start_date"' in page
    assert 'name="quota_per_organization" value="10"' in page
    assert '<option value="" selected>As the commission</option>' in page
    assert '<button type="submit">Create the session</button>' in page


def test_session_create_saves_exactly_what_csu_typed(client, commissions, csu):
    response = client.post("/sessions/new/", form_data(commissions, admission_rule="open"))

    session = Session.objects.get()
    assert (response.status_code, response["Location"]) == (302, "/sessions/cnd/70/")
    assert shown_messages(response) == [f"The session “{CND_70}” is created."]
    assert snapshot(session) == {
        "commission": "cnd",
        "number": 70,
        "title": CND_70,
        "start_date": dt.date(2027, 6, 14),
        "end_date": dt.date(2027, 6, 18),
        "venue": "Vienna International Centre, Vienna",
        "time_zone": "Europe/Vienna",
        "format": "hybrid",
        # Typed in Vienna time: 09:00 CET is 08:00 UTC, 23:59 CEST is 21:59 UTC.
        "registration_opens": dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC),
        "registration_closes": dt.datetime(2027, 5, 17, 21, 59, tzinfo=dt.UTC),
        "quota_per_organization": 10,
        "admission_rule": "open",
    }
    assert log_of(session) == [
        (
            "sessions.session.created",
            csu.email,
            {},
            {
                "commission": "CND",
                "number": 70,
                "title": CND_70,
                "start_date": "2027-06-14",
                "end_date": "2027-06-18",
                "venue": "Vienna International Centre, Vienna",
                "time_zone": "Europe/Vienna",
                "format": "hybrid",
                "registration_opens": "2027-02-01T08:00:00+00:00",
                "registration_closes": "2027-05-17T21:59:00+00:00",
                "quota_per_organization": 10,
                "admission_rule": "open",
                "side_events_open": None,
                "side_events_close": None,
            },
        )
    ]


def test_session_side_event_window_is_typed_in_the_sessions_time_zone(client, commissions, csu):
    client.post(
        "/sessions/new/",
        form_data(commissions, side_events_open="2027-01-10T09:00", side_events_close="2027-04-30T23:59"),
    )

    session = Session.objects.get()
    assert (session.side_events_open, session.side_events_close) == (
        dt.datetime(2027, 1, 10, 8, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 4, 30, 21, 59, tzinfo=dt.UTC),
    )


def test_session_create_reads_the_window_in_the_sessions_own_time_zone(client, commissions, csu):
    client.post(
        "/sessions/new/",
        form_data(commissions, time_zone="America/New_York", registration_opens="2027-02-01T09:00", registration_closes="2027-05-17T23:59"),
    )

    session = Session.objects.get()
    # New York: 09:00 EST is 14:00 UTC; 23:59 EDT is 03:59 UTC the next day.
    assert (session.time_zone, session.registration_opens, session.registration_closes) == (
        "America/New_York",
        dt.datetime(2027, 2, 1, 14, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 5, 18, 3, 59, tzinfo=dt.UTC),
    )


def test_session_create_without_a_window_leaves_registration_unannounced(client, commissions, csu):
    client.post("/sessions/new/", form_data(commissions, registration_opens="", registration_closes=""))

    session = Session.objects.get()
    assert (session.registration_opens, session.registration_closes, session.registration_state) == (None, None, "unannounced")


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"end_date": "2027-06-13"}, {"end_date": ["The last day cannot be before the first day."]}),
        (
            {"registration_opens": "2027-05-17T23:59", "registration_closes": "2027-02-01T09:00"},
            {"registration_closes": ["Registration must close after it opens."]},
        ),
        (
            {"registration_closes": ""},
            {"registration_closes": ["Give both the opening and the closing time, or neither."]},
        ),
        ({"time_zone": "Europe/Atlantis"}, {"time_zone": ["Select a valid choice. Europe/Atlantis is not one of the available choices."]}),
        ({"registration_opens": "tomorrow"}, {"registration_opens": ["Enter a date and a time, such as 2027-05-17 23:59."]}),
        (
            # Vienna's clocks jump from 02:00 to 03:00 on 28 March 2027.
            {"registration_opens": "2027-03-28T02:30"},
            {"registration_opens": ["02:30 does not exist in Europe/Vienna: the clocks change that night. Choose another time."]},
        ),
        ({"quota_per_organization": "0"}, {"quota_per_organization": ["An organization must be able to register at least one representative."]}),
        ({"start_date": "15/06/2027"}, {"start_date": ["Enter a date, such as 2027-03-15."]}),
        ({"title": "", "commission": ""}, {"commission": ["This field is required."], "title": ["This field is required."]}),
    ],
    ids=["end-before-start", "closes-before-opens", "half-a-window", "unknown-time-zone", "not-a-time", "skipped-hour", "no-quota", "bad-date", "missing"],
)
def test_session_create_refuses_bad_input_beside_the_fields_and_keeps_it(client, commissions, csu, changes, errors):
    data = form_data(commissions, **changes)

    response = client.post("/sessions/new/", data)

    page = text(response)
    assert response.status_code == 200
    assert all_field_errors(response) == errors
    assert "Please correct the errors below" in page
    assert Session.objects.count() == 0
    assert ActivityLog.objects.filter(action__startswith="sessions.session").count() == 0
    # What was typed is still there.
    assert f'value="{data["venue"]}"' in page
    assert f'name="registration_opens" value="{data["registration_opens"]}"' in page or not data["registration_opens"]


def test_session_create_refuses_a_number_the_commission_already_has(client, commissions, csu, cnd_70):
    response = client.post("/sessions/new/", form_data(commissions, title="Another CND session"))

    assert response.status_code == 200
    assert all_field_errors(response) == {"number": ["CND already has a session number 70."]}
    assert 'value="Another CND session"' in text(response)
    assert Session.objects.count() == 1


def test_session_create_allows_the_same_number_for_another_commission(client, commissions, csu, cnd_70):
    response = client.post("/sessions/new/", form_data(commissions, commission=str(commissions["ccpcj"].pk)))

    assert (response.status_code, response["Location"]) == (302, "/sessions/ccpcj/70/")


# --- Editing a session ---------------------------------------------------------------------


def test_session_edit_sends_the_public_to_sign_in(client, cnd_70):
    response = client.get("/sessions/cnd/70/edit/")

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next=/sessions/cnd/70/edit/")


def test_session_edit_does_not_exist_for_anyone_but_csu(client, commissions, cnd_70, not_csu):
    before = snapshot(cnd_70)

    assert client.get("/sessions/cnd/70/edit/").status_code == 404
    assert client.post("/sessions/cnd/70/edit/", form_data(commissions, title="Hijacked")).status_code == 404
    assert snapshot(cnd_70) == before


def test_session_edit_of_an_unknown_session_is_not_found(client, csu, cnd_70):
    assert client.get("/sessions/cnd/71/edit/").status_code == 404


def test_session_edit_shows_the_window_in_the_sessions_time_zone(client, csu, cnd_70):
    response = client.get("/sessions/cnd/70/edit/")

    page = text(response)
    assert response.status_code == 200
    assert f"<h1>Edit the session: {CND_70}</h1>" in page
    assert 'name="registration_opens" value="2027-02-01T09:00"' in page
    assert 'name="registration_closes" value="2027-05-17T23:59"' in page
    assert 'name="start_date" value="2027-06-14"' in page
    assert (
        '<option value="" selected>As the commission: ECOSOC consultative status required (or through an umbrella body)</option>'
    ) in page
    assert '<button type="submit">Save the session</button>' in page


def test_session_edit_shows_a_new_york_window_in_new_york_time(client, csu, commissions):
    Session.objects.create(
        commission=commissions["cosp"], number=12, title="Twelfth session of the COSP", start_date=dt.date(2027, 12, 6),
        end_date=dt.date(2027, 12, 10), venue="United Nations Headquarters, New York", time_zone="America/New_York",
        registration_opens=dt.datetime(2027, 9, 1, 13, 0, tzinfo=dt.UTC),
        registration_closes=dt.datetime(2027, 11, 6, 3, 59, tzinfo=dt.UTC),
    )

    page = text(client.get("/sessions/cosp/12/edit/"))

    assert 'name="registration_opens" value="2027-09-01T09:00"' in page
    assert 'name="registration_closes" value="2027-11-05T23:59"' in page


def test_session_edit_saves_the_change_and_logs_only_what_changed(client, commissions, csu, cnd_70):
    response = client.post(
        "/sessions/cnd/70/edit/",
        form_data(commissions, registration_closes="2027-05-31T23:59", quota_per_organization="8", admission_rule="rule17"),
    )

    assert (response.status_code, response["Location"]) == (302, "/sessions/cnd/70/")
    assert shown_messages(response) == [f"The session “{CND_70}” is saved."]
    saved = snapshot(cnd_70)
    assert (saved["registration_closes"], saved["quota_per_organization"], saved["admission_rule"]) == (
        dt.datetime(2027, 5, 31, 21, 59, tzinfo=dt.UTC), 8, "rule17",
    )
    assert log_of(cnd_70) == [
        (
            "sessions.session.changed",
            csu.email,
            {"registration_closes": "2027-05-17T21:59:00+00:00", "quota_per_organization": 10, "admission_rule": ""},
            {"registration_closes": "2027-05-31T21:59:00+00:00", "quota_per_organization": 8, "admission_rule": "rule17"},
        )
    ]


def test_session_edit_moving_the_number_redirects_to_the_new_address(client, commissions, csu, cnd_70):
    response = client.post("/sessions/cnd/70/edit/", form_data(commissions, number="71"))

    assert (response.status_code, response["Location"]) == (302, "/sessions/cnd/71/")


def test_session_edit_refuses_bad_input_and_changes_nothing(client, commissions, csu, cnd_70):
    Session.objects.create(
        commission=commissions["cnd"], number=71, title="71st session", start_date=dt.date(2028, 3, 13),
        end_date=dt.date(2028, 3, 17), venue="Vienna",
    )
    before = snapshot(cnd_70)

    response = client.post(
        "/sessions/cnd/70/edit/",
        form_data(commissions, number="71", title="Renamed", registration_opens="2027-06-01T09:00", registration_closes="2027-05-01T09:00"),
    )

    page = text(response)
    assert response.status_code == 200
    assert all_field_errors(response) == {"number": ["CND already has a session number 71."]}
    # The page still names the session as saved, and keeps what was typed.
    assert f"<h1>Edit the session: {CND_70}</h1>" in page
    assert 'value="Renamed"' in page and 'name="registration_opens" value="2027-06-01T09:00"' in page
    assert snapshot(cnd_70) == before
    assert log_of(cnd_70) == []


def test_session_edit_shows_the_services_refusal_beside_the_field(client, commissions, csu, cnd_70):
    before = snapshot(cnd_70)

    response = client.post(
        "/sessions/cnd/70/edit/", form_data(commissions, registration_opens="2027-06-01T09:00", registration_closes="2027-06-01T09:00")
    )

    assert all_field_errors(response) == {"registration_closes": ["Registration must close after it opens."]}
    assert snapshot(cnd_70) == before


# --- The public pages: registration in words --------------------------------------------------


@pytest.mark.parametrize(
    ("now", "words"),
    [
        (
            dt.datetime(2027, 1, 15, 10, 0, tzinfo=dt.UTC),
            '<span class="badge">Registration opens on 1 February 2027, 09:00 Vienna time</span>',
        ),
        (
            dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC),
            '<span class="badge badge-open">Registration open until 17 May 2027, 23:59 Vienna time</span>',
        ),
        (
            dt.datetime(2027, 5, 17, 21, 58, 59, tzinfo=dt.UTC),
            '<span class="badge badge-open">Registration open until 17 May 2027, 23:59 Vienna time</span>',
        ),
        (
            dt.datetime(2027, 5, 17, 21, 59, tzinfo=dt.UTC),
            '<span class="badge badge-closed">Registration closed on 17 May 2027, 23:59 Vienna time</span>',
        ),
    ],
    ids=["not-yet-open", "just-opened", "last-second", "closed"],
)
def test_session_page_says_where_registration_stands(client, cnd_70, now, words):
    with time_machine.travel(now, tick=False):
        page = text(client.get("/sessions/cnd/70/"))

    assert words in page


def test_session_page_without_a_window_says_it_is_not_announced(client, cnd_70):
    Session.objects.filter(pk=cnd_70.pk).update(registration_opens=None, registration_closes=None)

    page = text(client.get("/sessions/cnd/70/"))

    assert '<span class="badge badge-closed">Registration dates not yet announced</span>' in page


@time_machine.travel(dt.datetime(2027, 9, 15, 12, 0, tzinfo=dt.UTC), tick=False)
def test_session_page_states_the_window_in_the_sessions_time_zone(client, commissions):
    Session.objects.create(
        commission=commissions["cosp"], number=12, title="Twelfth session of the COSP", start_date=dt.date(2027, 12, 6),
        end_date=dt.date(2027, 12, 10), venue="United Nations Headquarters, New York", time_zone="America/New_York",
        registration_opens=dt.datetime(2027, 9, 1, 13, 0, tzinfo=dt.UTC),
        registration_closes=dt.datetime(2027, 11, 6, 3, 59, tzinfo=dt.UTC),
    )

    page = text(client.get("/sessions/cosp/12/"))

    assert "Registration open until 5 November 2027, 23:59 New York time" in page


@time_machine.travel(dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC), tick=False)
def test_sessions_list_and_home_say_where_registration_stands(client, cnd_70):
    expected = "Registration open until 17 May 2027, 23:59 Vienna time"

    assert expected in text(client.get("/sessions/"))
    assert expected in text(client.get("/"))


def test_session_page_shows_the_commissions_rule_and_the_quota(client, cnd_70):
    page = text(client.get("/sessions/cnd/70/"))

    assert "<dt>Who may take part</dt><dd>ECOSOC consultative status required (or through an umbrella body)</dd>" in page
    assert "<dt>Representatives per organization</dt><dd>10</dd>" in page


def test_session_page_shows_the_sessions_own_rule_over_the_commissions(client, cnd_70):
    Session.objects.filter(pk=cnd_70.pk).update(admission_rule=AdmissionRule.OPEN, quota_per_organization=5)

    page = text(client.get("/sessions/cnd/70/"))

    assert "<dt>Who may take part</dt><dd>Open to all NGOs</dd>" in page
    assert "<dt>Representatives per organization</dt><dd>5</dd>" in page


# --- The public pages: what each person may do -------------------------------------------------

REGISTER_LINK = '<a href="/sessions/cnd/70/register/" role="button">Register your delegation</a>'
EDIT_LINK = '<a href="/sessions/cnd/70/edit/" role="button" class="secondary">Edit the session</a>'
REVIEW_LINK = '<a href="/sessions/cnd/70/registrations/" role="button" class="secondary">Review registrations</a>'
DURING = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
AFTER = dt.datetime(2027, 5, 20, 12, 0, tzinfo=dt.UTC)


@time_machine.travel(DURING, tick=False)
def test_session_page_invites_a_focal_point_of_a_verified_organization_to_register(client, cnd_70, focal_points):
    client.force_login(focal_points["a"])

    page = text(client.get("/sessions/cnd/70/"))

    assert REGISTER_LINK in page
    assert EDIT_LINK not in page and REVIEW_LINK not in page


@time_machine.travel(AFTER, tick=False)
def test_session_page_offers_no_registration_once_closed(client, cnd_70, focal_points):
    client.force_login(focal_points["a"])

    assert "Register your delegation" not in text(client.get("/sessions/cnd/70/"))


@time_machine.travel(dt.datetime(2027, 1, 15, 12, 0, tzinfo=dt.UTC), tick=False)
def test_session_page_offers_no_registration_before_it_opens(client, cnd_70, focal_points):
    client.force_login(focal_points["a"])

    assert "Register your delegation" not in text(client.get("/sessions/cnd/70/"))


@time_machine.travel(DURING, tick=False)
def test_session_page_offers_no_registration_to_an_unverified_organization(client, cnd_70, focal_points, organizations):
    organizations["a"].verification_state = VerificationState.PENDING
    organizations["a"].save()
    client.force_login(focal_points["a"])

    assert "Register your delegation" not in text(client.get("/sessions/cnd/70/"))


@time_machine.travel(DURING, tick=False)
@pytest.mark.parametrize("person", ["outsider", "coordinator", "csu"])
def test_session_page_offers_no_registration_to_people_without_an_organization(client, cnd_70, person, outsider, coordinators, csu_officer):
    user = {"outsider": outsider, "coordinator": coordinators["vngoc"], "csu": csu_officer}[person]
    client.force_login(user)

    assert "Register your delegation" not in text(client.get("/sessions/cnd/70/"))


@time_machine.travel(DURING, tick=False)
def test_session_page_links_to_the_live_registration_instead(client, cnd_70, focal_points, organizations):
    registration = Registration.objects.create(session=cnd_70, organization=organizations["a"], status=RegistrationStatus.SUBMITTED)
    Registration.objects.create(session=cnd_70, organization=organizations["b"], status=RegistrationStatus.DRAFT)
    client.force_login(focal_points["a"])

    page = text(client.get("/sessions/cnd/70/"))

    assert (
        f'<li><a href="/sessions/registrations/{registration.pk}/">Registration of Harm Reduction Alliance (HRA): '
        "Submitted to the Civil Society Unit</a></li>"
    ) in page
    assert "Register your delegation" not in page
    assert "Prison Reform Network" not in page


@time_machine.travel(AFTER, tick=False)
def test_session_page_links_to_the_registration_also_after_the_deadline(client, cnd_70, focal_points, organizations):
    registration = Registration.objects.create(session=cnd_70, organization=organizations["a"], status=RegistrationStatus.APPROVED)
    client.force_login(focal_points["a"])

    page = text(client.get("/sessions/cnd/70/"))

    assert f'<a href="/sessions/registrations/{registration.pk}/">Registration of Harm Reduction Alliance (HRA): Approved</a>' in page


@time_machine.travel(DURING, tick=False)
def test_session_page_invites_again_after_a_withdrawn_registration(client, cnd_70, focal_points, organizations):
    Registration.objects.create(session=cnd_70, organization=organizations["a"], status=RegistrationStatus.WITHDRAWN)
    client.force_login(focal_points["a"])

    page = text(client.get("/sessions/cnd/70/"))

    assert REGISTER_LINK in page
    assert "Registration of Harm Reduction Alliance" not in page


@time_machine.travel(DURING, tick=False)
def test_session_page_invites_a_focal_point_of_two_organizations_for_the_unregistered_one(client, cnd_70, focal_points, organizations):
    OrganizationMember.objects.create(organization=organizations["b"], user=focal_points["a"])
    registration = Registration.objects.create(session=cnd_70, organization=organizations["a"], status=RegistrationStatus.DRAFT)
    client.force_login(focal_points["a"])

    page = text(client.get("/sessions/cnd/70/"))

    assert f'<a href="/sessions/registrations/{registration.pk}/">Registration of Harm Reduction Alliance (HRA): Draft</a>' in page
    assert REGISTER_LINK in page


@time_machine.travel(DURING, tick=False)
def test_session_page_asks_the_public_to_sign_in_to_register(client, cnd_70):
    page = text(client.get("/sessions/cnd/70/"))

    assert (
        'Focal points of verified organizations <a href="/accounts/login/?next=/sessions/cnd/70/">sign in</a> '
        "to register their delegation."
    ) in page
    assert "Register your delegation" not in page
    assert EDIT_LINK not in page and REVIEW_LINK not in page


@time_machine.travel(DURING, tick=False)
def test_session_page_gives_csu_the_edit_and_review_links(client, cnd_70, csu_officer):
    client.force_login(csu_officer)  # signed in at the travelled-to time, so that the login is still fresh

    page = text(client.get("/sessions/cnd/70/"))

    assert EDIT_LINK in page and REVIEW_LINK in page


@time_machine.travel(DURING, tick=False)
def test_session_page_gives_a_coordinator_no_csu_links(client, cnd_70, coordinators):
    client.force_login(coordinators["vngoc"])

    page = text(client.get("/sessions/cnd/70/"))

    assert EDIT_LINK not in page and REVIEW_LINK not in page


@time_machine.travel(DURING, tick=False)
def test_session_page_query_count_for_a_focal_point_is_fixed(client, cnd_70, commissions, focal_points, organizations, django_assert_num_queries):
    OrganizationMember.objects.create(organization=organizations["b"], user=focal_points["a"])
    Registration.objects.create(session=cnd_70, organization=organizations["a"], status=RegistrationStatus.DRAFT)
    client.force_login(focal_points["a"])
    # the session, the login session with the user and its roles (portal.login_sessions), own registrations,
    # organizations still to register
    with django_assert_num_queries(4):
        client.get("/sessions/cnd/70/")
    Registration.objects.create(session=cnd_70, organization=organizations["b"], status=RegistrationStatus.DRAFT)
    with django_assert_num_queries(4):
        page = text(client.get("/sessions/cnd/70/"))
    assert page.count("Registration of ") == 2


def test_sessions_list_gives_csu_a_new_session_link(client, csu):
    assert '<a href="/sessions/new/" role="button">New session</a>' in text(client.get("/sessions/"))


@pytest.mark.parametrize("person", ["anonymous", "focal_point", "coordinator"])
def test_sessions_list_has_no_new_session_link_for_others(client, person, focal_points, coordinators):
    if person != "anonymous":
        client.force_login({"focal_point": focal_points["a"], "coordinator": coordinators["vngoc"]}[person])

    assert "/sessions/new/" not in text(client.get("/sessions/"))
