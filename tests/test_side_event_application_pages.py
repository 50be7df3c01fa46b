"""A side-event application from the focal points' side: proposing it, filling it in (speakers, panel
indicators), submitting, following it, confirming as co-organizer; its page for CSU; my side events.

The side-event window is checked against the database's clock, which no time machine moves, so
sessions here open and close around the real time."""

import html
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core import mail

from events import services
from events.enums import CoOrganizerStatus, SideEventStatus
from events.models import CoOrganizer, Room, SideEvent, Speaker
from events.services import SpeakerData
from organizations.enums import VerificationState
from organizations.models import Organization, OrganizationMember
from portal.models import ActivityLog
from sessions.models import Session
from tests.conftest import give_totp, make_user

pytestmark = pytest.mark.django_db

VIENNA = ZoneInfo("Europe/Vienna")
CND70 = "70th session of the Commission on Narcotic Drugs"
TITLE = "Harm reduction behind bars"
SUBMITTED = (
    "The application is submitted to the Civil Society Unit, which reviews applications in the order they arrive. "
    "We will e-mail you its decision."
)
ONLINE_LINK_NEEDED = "An online or hybrid event needs the link where people join it."
NAME_NEEDED = "Give each speaker's name."


# --- Helpers ---------------------------------------------------------------------------------


def words(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def main(response) -> str:
    page = response.content.decode()
    return words(page[page.index("<main") : page.index("</main>")])


def field_errors(response, field_id: str) -> list[str]:
    found = re.search(rf'<ul class="field-errors" id="{field_id}_error">(.*?)</ul>', response.content.decode(), re.S)
    return [html.unescape(error) for error in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] if found else []


def summary(response) -> list[str]:
    """The error summary's items, as words."""
    found = re.search(r'<div class="error-summary".*?<ul>(.*?)</ul>', response.content.decode(), re.S)
    return [words(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] if found else []


def summary_heading(response) -> str:
    found = re.search(r'<div class="error-summary".*?<h2>(.*?)</h2>', response.content.decode(), re.S)
    return words(found.group(1)) if found else ""


def indicators(fragment: str) -> list[str]:
    return [words(line) for line in re.findall(r'<p data-indicator="\w+">(.*?)</p>', fragment, re.S)]


def value_of(response, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', response.content.decode())
    if not found:
        return None
    value = re.search(r'value="([^"]*)"', found.group(0))
    return html.unescape(value.group(1)) if value else ""


def checked(response, name: str) -> list[str]:
    return [
        html.unescape(value)
        for tag in re.findall(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', response.content.decode())
        if " checked" in tag
        for value in re.findall(r'value="([^"]*)"', tag)
    ]


def selected(response, name: str) -> list[str]:
    found = re.search(rf'<select name="{re.escape(name)}".*?</select>', response.content.decode(), re.S)
    return re.findall(r'<option value="([^"]*)"[^>]*selected', found.group(0)) if found else []


def shown_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def actions_on(target) -> list[str]:
    return list(
        ActivityLog.objects.filter(content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def timeline(response) -> list[str]:
    return [words(step) for step in re.findall(r'<td data-label="What">(.*?)</td>', response.content.decode(), re.S)]


def sign_in(client, user):
    """Sign in; CSU gets TOTP first, as staff pages need it."""
    if user.groups.exists() and not user.authenticator_set.exists():
        give_totp(user)
    client.force_login(user)
    return user


def speaker(**overrides) -> dict:
    row = {"name": "Grace Wanjiru", "title": "Director", "affiliation": "Harm Reduction Alliance", "gender": "female", "country": "KE"}
    row.update(overrides)
    return row


PANEL = [
    speaker(),
    speaker(name="Peter Obi", title="Lawyer", affiliation="Prison Reform Network", gender="male", country="NG"),
    speaker(name="Claire Dubois", title="Researcher", affiliation="Sciences Po", country="FR"),
    speaker(name="Jean Martin", title="Prison governor", affiliation="Ministry of Justice", gender="male", country="FR"),
]


def form_data(speakers=(), *, initial=0, **fields) -> dict:
    """The application's form as posted: the event, then the speakers' formset; a field set to None is left out."""
    data = {
        "title": TITLE,
        "description": "What East African prisons learnt from needle exchanges.",
        "format": "in_person",
        "online_link": "",
        "languages": ["en", "fr"],
        "expected_audience": "60",
        "co_sponsoring_un_entities": "UNAIDS",
        "speaker-TOTAL_FORMS": str(len(speakers)),
        "speaker-INITIAL_FORMS": str(initial),
        "speaker-MIN_NUM_FORMS": "0",
        "speaker-MAX_NUM_FORMS": "20",
    }
    for index, row in enumerate(speakers):
        for key, value in row.items():
            if value is True:
                value = "on"
            data[f"speaker-{index}-{key}"] = value
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def speakers_of(event) -> list[tuple]:
    return [(s.name, s.title, s.affiliation, s.gender, s.country.code) for s in Speaker.objects.filter(event=event).order_by("position")]


def reload(event) -> SideEvent:
    return SideEvent.objects.get(pk=event.pk)


def url(name: str, event) -> str:
    return {
        "detail": f"/events/applications/{event.pk}/",
        "edit": f"/events/applications/{event.pk}/edit/",
        "row": f"/events/applications/{event.pk}/speaker-row/?index=1",
    }[name]


APPLY = "/sessions/cnd/70/side-events/apply/"
INDICATORS = "/events/applications/indicators/"
MINE = "/events/applications/"


def local(moment: datetime) -> str:
    return f"{moment.astimezone(VIENNA):%-d %B %Y, %H:%M}"


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def now(time_machine):
    """The application's clock, stopped at the real time (see the module's docstring)."""
    moment = datetime.now(VIENNA).replace(second=0, microsecond=0)
    time_machine.move_to(moment, tick=False)
    return moment


@pytest.fixture
def cnd70(now, commissions):
    """Side-event applications open since yesterday, for ten more days; the session five weeks later."""
    return Session.objects.create(
        commission=commissions["cnd"], number=70, title=CND70,
        start_date=(now + timedelta(days=40)).date(), end_date=(now + timedelta(days=44)).date(), venue="Vienna International Centre",
        side_events_open=now - timedelta(days=1), side_events_close=(now + timedelta(days=10)).replace(hour=23, minute=59),
    )


@pytest.fixture
def third(db):
    """An organization with no part in HRA's event, and its focal point."""
    organization = Organization.objects.create(
        name="Youth Drug Policy Network", acronym="YDPN", slug="ydpn", headquarters_country="MX",
        verification_state=VerificationState.VERIFIED,
    )
    person = make_user("focal@ydpn.test", full_name="Focal point of YDPN")
    OrganizationMember.objects.create(organization=organization, user=person)
    return person


def speaker_data(row: dict) -> SpeakerData:
    return SpeakerData(**row)


@pytest.fixture
def draft(cnd70, organizations, focal_points):
    """HRA's draft, with PRN named as co-organizer (not yet confirmed) and two speakers."""
    return services.save_side_event(
        None, by=focal_points["a"], session=cnd70, organization=organizations["a"],
        data={
            "title": TITLE, "description": "What East African prisons learnt.", "format": "in_person", "languages": ["en"],
            "expected_audience": 60,
        },
        speakers=[speaker_data(PANEL[0]), speaker_data(PANEL[1])], co_organizers=[organizations["b"]],
    )


@pytest.fixture
def submitted(draft, focal_points):
    return services.submit_side_event(draft, by=focal_points["a"])


def add_event(session, organization, by, title, *, speakers=1) -> SideEvent:
    return services.save_side_event(
        None, by=by, session=session, organization=organization,
        data={"title": title, "description": "About it.", "format": "in_person", "expected_audience": 40},
        speakers=[speaker_data(speaker(name=f"Speaker {number}")) for number in range(speakers)],
    )


# --- The whole way, through the pages -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_application_flow_from_proposal_to_co_organizer_confirmation(client, now, commissions, organizations, focal_points, thematic_areas):
    session = Session.objects.create(
        commission=commissions["cnd"], number=70, title=CND70,
        start_date=(now + timedelta(days=40)).date(), end_date=(now + timedelta(days=44)).date(), venue="Vienna International Centre",
        side_events_open=now - timedelta(days=1), side_events_close=(now + timedelta(days=10)).replace(hour=23, minute=59),
    )
    prisons = thematic_areas["criminal-justice-and-prison-reform"]
    sign_in(client, focal_points["a"])

    start = client.get(APPLY)
    assert start.status_code == 200
    assert 'name="speaker-2-name"' in start.content.decode() and 'name="speaker-3-name"' not in start.content.decode()
    assert re.findall(r'<option value="(\d+)">([^<]+)</option>', start.content.decode().split('name="co_organizers"')[1].split("</select>")[0]) == [
        (str(organizations["b"].pk), "Prison Reform Network (PRN)"),
    ]

    created = client.post(
        APPLY,
        form_data([PANEL[0]], themes=[str(prisons.pk)], co_organizers=[str(organizations["b"].pk)], co_sponsoring_states=["AT", "KE"], save="1"),
    )
    event = SideEvent.objects.get()
    assert created.status_code == 302
    assert created["Location"] == url("edit", event)
    assert shown_messages(created) == [
        f"The draft is saved. Submit it before {local(session.side_events_close)}, Vienna time; until then it is not sent to anyone."
    ]
    assert (event.status, event.lead_organization, event.title, event.languages, event.expected_audience) == (
        SideEventStatus.DRAFT, organizations["a"], TITLE, ["en", "fr"], 60,
    )
    assert [country.code for country in event.co_sponsoring_states] == ["AT", "KE"]
    assert list(event.themes.all()) == [prisons]
    assert [(co.organization, co.status) for co in event.co_organizers.all()] == [(organizations["b"], CoOrganizerStatus.PENDING)]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        ([focal_points["b"].email], "HRA names PRN as co-organizer of a side event"),
    ]

    form = client.get(created["Location"])
    assert indicators(form.content.decode()) == ["Speakers: 1 · women 1, men 0", "Regions: African States (1 country)"]
    assert value_of(form, "speaker-TOTAL_FORMS") == "1"
    rows = [client.get(f"/events/applications/{event.pk}/speaker-row/?index={index}") for index in (1, 2, 3)]
    assert [re.findall(r'name="(speaker-\d+-name)"', row.content.decode()) for row in rows] == [
        ["speaker-1-name"], ["speaker-2-name"], ["speaker-3-name"],
    ]
    assert [value_of(row, "speaker-TOTAL_FORMS") for row in rows] == ["2", "3", "4"]

    mail.outbox.clear()
    saved = client.post(
        url("edit", event),
        form_data(PANEL, initial=1, themes=[str(prisons.pk)], co_organizers=[str(organizations["b"].pk)], submit="1"),
    )
    event = reload(event)
    assert saved.status_code == 302
    assert saved["Location"] == url("detail", event)
    assert shown_messages(saved) == [SUBMITTED]
    assert event.status == SideEventStatus.SUBMITTED
    assert [row[0] for row in speakers_of(event)] == ["Grace Wanjiru", "Peter Obi", "Claire Dubois", "Jean Martin"]
    assert [(message.to, message.subject) for message in mail.outbox] == [
        ([focal_points["a"].email], f"Side event “{TITLE}”: application submitted"),
    ]

    client.force_login(focal_points["b"])
    partner_view = client.get(url("detail", event))
    assert "Confirm that Prison Reform Network (PRN) co-organizes this event" in main(partner_view)
    mail.outbox.clear()
    confirmed = client.post(url("detail", event), {"action": "confirm", "co_organizer": event.co_organizers.get().pk})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == url("detail", event)
    assert shown_messages(confirmed) == [
        f"You confirmed that Prison Reform Network (PRN) co-organizes “{TITLE}”. We told Harm Reduction Alliance (HRA)."
    ]
    assert event.co_organizers.get().status == CoOrganizerStatus.CONFIRMED
    assert [(message.to, message.subject) for message in mail.outbox] == [
        ([focal_points["a"].email], f"PRN confirms co-organizing “{TITLE}”"),
    ]

    client.force_login(focal_points["a"])
    page = client.get(url("detail", event))
    assert timeline(page) == [
        "Application started", "Application saved", "Submitted to the Civil Society Unit",
        "Co-organizing confirmed Prison Reform Network (PRN)",
    ]
    assert indicators(page.content.decode()) == [
        "Speakers: 4 · women 2, men 2 · gender-balanced", "Regions: African States, Western European and other States (3 countries)",
    ]
    assert actions_on(event) == [
        "events.side_event.created", "events.side_event.saved", "events.side_event.submitted", "events.co_organizer.confirmed",
    ]


# --- Proposing: who may, and when ---------------------------------------------------------------


def test_apply_for_an_unknown_session_is_404(client, cnd70, focal_points):
    sign_in(client, focal_points["a"])

    assert client.get("/sessions/cnd/71/side-events/apply/").status_code == 404


def test_apply_when_the_window_is_closed(client, now, cnd70, focal_points):
    Session.objects.filter(pk=cnd70.pk).update(side_events_open=now - timedelta(days=20), side_events_close=now - timedelta(days=2))
    sign_in(client, focal_points["a"])

    response = client.get(APPLY)
    posted = client.post(APPLY, form_data([PANEL[0]], save="1"))

    expected = (
        f"Side-event applications for {CND70} closed on {local(now - timedelta(days=2))}, Vienna time. "
        "No new side event can be proposed."
    )
    for page in (response, posted):
        assert page.status_code == 200
        assert words(re.search(r'<p[^>]*id="apply-refusal">(.*?)</p>', page.content.decode(), re.S).group(1)) == expected
        assert 'name="title"' not in page.content.decode()
    assert SideEvent.objects.count() == 0


def test_apply_before_the_window_opens(client, now, cnd70, focal_points):
    opens = now + timedelta(days=3)
    Session.objects.filter(pk=cnd70.pk).update(side_events_open=opens, side_events_close=now + timedelta(days=20))
    sign_in(client, focal_points["a"])

    response = client.get(APPLY)

    assert (
        f"Side-event applications for {CND70} open on {local(opens)}, Vienna time. Come back then to propose your side event."
    ) in main(response)
    assert 'name="title"' not in response.content.decode()


def test_apply_when_the_window_is_not_announced(client, cnd70, focal_points):
    Session.objects.filter(pk=cnd70.pk).update(side_events_open=None, side_events_close=None)
    sign_in(client, focal_points["a"])

    response = client.get(APPLY)

    assert f"The dates of side-event applications for {CND70} are not announced yet." in main(response)
    assert 'name="title"' not in response.content.decode()


def test_apply_for_someone_without_an_organization(client, cnd70, outsider):
    sign_in(client, outsider)

    response = client.get(APPLY)
    posted = client.post(APPLY, form_data([PANEL[0]], save="1"))

    for page in (response, posted):
        assert (
            "An organization proposes a side event through one of its focal points. You are not a focal point of any organization yet."
        ) in main(page)
        assert 'name="title"' not in page.content.decode()
    assert re.findall(r'<a href="(/organizations/[^"]*)">', response.content.decode())[-2:] == ["/organizations/new/", "/organizations/"]
    assert SideEvent.objects.count() == 0


def test_apply_for_an_unverified_organization(client, cnd70, organizations, focal_points):
    Organization.objects.filter(pk=organizations["a"].pk).update(verification_state=VerificationState.PENDING)
    sign_in(client, focal_points["a"])

    response = client.post(APPLY, form_data([PANEL[0]], organization=str(organizations["a"].pk), save="1"))

    assert (
        "Your organization can propose a side event once the Civil Society Unit has verified it. "
        "We will e-mail you as soon as they decide."
    ) in main(response)
    assert 'name="title"' not in response.content.decode()
    assert SideEvent.objects.count() == 0


def test_apply_a_second_time_links_to_the_first_application_and_changes_nothing(client, draft, focal_points):
    sign_in(client, focal_points["a"])
    before = actions_on(draft)

    response = client.get(APPLY)
    posted = client.post(APPLY, form_data([PANEL[2]], title="Another event", save="1"))

    for page in (response, posted):
        assert words(re.search(r'<p[^>]*id="apply-refusal">(.*?)</p>', page.content.decode(), re.S).group(1)) == (
            f"Harm Reduction Alliance (HRA) already leads a side event at {CND70}: “{TITLE}”. One application per lead organizer."
        )
        assert re.findall(r'<a href="([^"]+)" role="button">See the application</a>', page.content.decode()) == [url("detail", draft)]
        assert 'name="title"' not in page.content.decode()
    assert list(SideEvent.objects.values_list("title", flat=True)) == [TITLE]
    assert actions_on(draft) == before
    assert speakers_of(draft) == [tuple(PANEL[0].values()), tuple(PANEL[1].values())]


def test_apply_with_several_organizations_asks_which_one_leads(client, cnd70, organizations, focal_points):
    OrganizationMember.objects.create(organization=organizations["b"], user=focal_points["a"])
    sign_in(client, focal_points["a"])

    choose = client.get(APPLY)
    assert re.findall(r'<option value="(\d+)">([^<]+)</option>', choose.content.decode()) == [
        (str(organizations["a"].pk), "Harm Reduction Alliance (HRA)"), (str(organizations["b"].pk), "Prison Reform Network (PRN)"),
    ]
    assert 'name="title"' not in choose.content.decode()

    chosen = client.get(f"{APPLY}?organization={organizations['b'].pk}")
    assert "Prison Reform Network (PRN) leads the side event. Choose another organization" in main(chosen)
    assert value_of(chosen, "organization") == str(organizations["b"].pk)
    # The lead organizer is not offered as its own co-organizer.
    assert re.findall(r'<option value="(\d+)">', chosen.content.decode().split('name="co_organizers"')[1].split("</select>")[0]) == [
        str(organizations["a"].pk)
    ]

    created = client.post(APPLY, form_data([PANEL[1]], organization=str(organizations["b"].pk), save="1"))
    assert created.status_code == 302
    assert SideEvent.objects.get().lead_organization == organizations["b"]


def test_apply_offers_only_verified_organizations_as_co_organizers(client, cnd70, organizations, focal_points, third):
    Organization.objects.create(name="Anonymous Pending Group", slug="apg", headquarters_country="KE")
    sign_in(client, focal_points["a"])

    response = client.get(APPLY)

    options = response.content.decode().split('name="co_organizers"')[1].split("</select>")[0]
    assert re.findall(r"<option[^>]*>([^<]+)</option>", options) == ["Prison Reform Network (PRN)", "Youth Drug Policy Network (YDPN)"]


# --- Bad input: a clear message, nothing changed ---------------------------------------------------


def test_apply_online_without_a_link_is_refused_beside_the_link_and_keeps_what_was_typed(client, cnd70, organizations, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(
        APPLY,
        form_data(
            [PANEL[0], speaker(name="", title="Minister of Health", affiliation="", gender="", country="")],
            format="online", co_organizers=[str(organizations["b"].pk)], co_sponsoring_states=["KE"], save="1",
        ),
    )

    assert response.status_code == 200
    assert SideEvent.objects.count() == 0
    assert summary_heading(response) == "Please correct the errors below; nothing was saved"
    assert summary(response) == [
        f"Online link: {ONLINE_LINK_NEEDED}",
        f"Speaker 2, Name: {NAME_NEEDED}",
        "Speaker 2, Gender: Choose the speaker's gender (or “Other or not stated”).",
        "Speaker 2, Country: Choose the speaker's country.",
    ]
    assert field_errors(response, "id_online_link") == [ONLINE_LINK_NEEDED]
    assert field_errors(response, "id_speaker-1-name") == [NAME_NEEDED]
    assert value_of(response, "title") == TITLE
    assert value_of(response, "speaker-0-name") == "Grace Wanjiru"
    assert value_of(response, "speaker-1-title") == "Minister of Health"
    assert checked(response, "format") == ["online"]
    assert checked(response, "languages") == ["en", "fr"]
    assert selected(response, "co_organizers") == [str(organizations["b"].pk)]
    assert selected(response, "co_sponsoring_states") == ["KE"]
    assert value_of(response, "organization") == str(organizations["a"].pk)
    assert mail.outbox == []


def test_edit_online_without_a_link_changes_nothing(client, draft, focal_points):
    sign_in(client, focal_points["a"])
    before = actions_on(draft)

    response = client.post(url("edit", draft), form_data(PANEL[:2], initial=2, title="A new title", format="hybrid", save="1"))

    assert response.status_code == 200
    assert field_errors(response, "id_online_link") == [ONLINE_LINK_NEEDED]
    assert value_of(response, "title") == "A new title"
    assert (reload(draft).title, reload(draft).format) == (TITLE, "in_person")
    assert actions_on(draft) == before


def test_edit_speaker_with_a_title_but_no_name_is_refused_beside_the_name(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(
        url("edit", draft), form_data([PANEL[0], speaker(name="  ", title="Chief of Police", gender="male", country="KE")], initial=2, save="1")
    )

    assert summary(response) == [f"Speaker 2, Name: {NAME_NEEDED}"]
    assert field_errors(response, "id_speaker-1-name") == [NAME_NEEDED]
    assert value_of(response, "speaker-1-title") == "Chief of Police"
    assert speakers_of(draft) == [tuple(PANEL[0].values()), tuple(PANEL[1].values())]


def test_edit_outside_the_window_is_refused_and_changes_nothing(client, now, draft, focal_points):
    closed = now - timedelta(hours=1)
    Session.objects.filter(pk=draft.session_id).update(side_events_close=closed)
    sign_in(client, focal_points["a"])
    before = actions_on(draft)

    page = client.get(url("edit", draft))
    response = client.post(url("edit", draft), form_data(PANEL, title="Too late", submit="1"))

    assert (
        f"Side-event applications closed on {local(closed)}, Vienna time: the application can no longer be changed or submitted"
    ) in main(page)
    assert summary_heading(response) == "Please correct the errors below; nothing was saved"
    assert summary(response) == [f"Side-event applications for {CND70} closed on {local(closed)}, Vienna time. Nothing was changed."]
    assert value_of(response, "title") == "Too late"
    assert (reload(draft).title, reload(draft).status) == (TITLE, SideEventStatus.DRAFT)
    assert actions_on(draft) == before


def test_edit_cannot_name_the_lead_organizer_as_co_organizer(client, draft, organizations, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(url("edit", draft), form_data(PANEL[:1], co_organizers=[str(organizations["a"].pk)], save="1"))

    assert field_errors(response, "id_co_organizers") == [
        f"Select a valid choice. {organizations['a'].pk} is not one of the available choices."
    ]
    assert list(draft.co_organizers.values_list("organization", flat=True)) == [organizations["b"].pk]


# --- Filling it in -------------------------------------------------------------------------------


def test_edit_shows_the_saved_application(client, draft, organizations, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(url("edit", draft))

    assert response.status_code == 200
    assert value_of(response, "title") == TITLE
    assert checked(response, "format") == ["in_person"]
    assert checked(response, "languages") == ["en"]
    assert selected(response, "co_organizers") == [str(organizations["b"].pk)]
    assert [value_of(response, f"speaker-{index}-name") for index in range(3)] == ["Grace Wanjiru", "Peter Obi", None]
    assert value_of(response, "speaker-TOTAL_FORMS") == "2"
    assert indicators(response.content.decode()) == [
        "Speakers: 2 · women 1, men 1 · gender-balanced", "Regions: African States (2 countries)",
    ]
    assert re.findall(r'hx-get="([^"]+)"', response.content.decode()) == [f"/events/applications/{draft.pk}/speaker-row/?index=2"]
    section = response.content.decode().split('<section id="speakers"')[1].split(">")[0]
    assert section == (
        ' aria-labelledby="speakers-heading" hx-post="/events/applications/indicators/" hx-trigger="change"'
        ' hx-target="#panel-indicators" hx-swap="outerHTML"'
    )
    assert re.findall(r"<button[^>]*>([^<]+)</button>", response.content.decode().split('id="speakers"')[1]) == [
        "Add a speaker", "Save draft", "Save and submit",
    ]


def test_edit_saves_a_draft_and_removes_a_speaker(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(url("edit", draft), form_data([PANEL[0], {**PANEL[1], "DELETE": True}, PANEL[2]], initial=2, save="1"))

    assert response.status_code == 302
    assert response["Location"] == url("edit", draft)
    assert [row[0] for row in speakers_of(draft)] == ["Grace Wanjiru", "Claire Dubois"]
    assert reload(draft).status == SideEventStatus.DRAFT


def test_edit_ignores_empty_speaker_rows(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(url("edit", draft), form_data([speaker(name="", title="", affiliation="", gender="", country=""), PANEL[3]], save="1"))

    assert response.status_code == 302
    assert [row[0] for row in speakers_of(draft)] == ["Jean Martin"]


def test_add_speaker_without_javascript_saves_and_shows_one_more_row(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(url("edit", draft), form_data(PANEL[:3], initial=2, add_speaker="1"))

    assert response.status_code == 302
    assert response["Location"] == f"{url('edit', draft)}?add=1#speakers"
    assert shown_messages(response) == ["The draft is saved. Fill in the new speaker below."]
    page = client.get(response["Location"])
    assert [value_of(page, f"speaker-{index}-name") for index in range(5)] == ["Grace Wanjiru", "Peter Obi", "Claire Dubois", "", None]


def test_add_speaker_on_the_proposal_page_saves_the_draft_and_continues_on_its_form(client, cnd70, organizations, focal_points):
    sign_in(client, focal_points["a"])

    start = client.get(APPLY)
    assert re.findall(r'<button type="submit" name="add_speaker"[^>]*>', start.content.decode()) == [
        '<button type="submit" name="add_speaker" value="1" class="secondary">'
    ]
    response = client.post(APPLY, form_data(PANEL[:3], add_speaker="1"))

    event = SideEvent.objects.get()
    assert response["Location"] == f"{url('edit', event)}?add=1#speakers"
    page = client.get(response["Location"])
    assert [value_of(page, f"speaker-{index}-name") for index in range(5)] == ["Grace Wanjiru", "Peter Obi", "Claire Dubois", "", None]
    assert f'hx-get="/events/applications/{event.pk}/speaker-row/?index=4"' in page.content.decode()


def test_add_speaker_without_javascript_keeps_typed_values_when_refused(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(url("edit", draft), form_data(PANEL[:2], initial=2, title="", add_speaker="1"))

    assert response.status_code == 200
    assert field_errors(response, "id_title") == ["Give the event a title."]
    assert [value_of(response, f"speaker-{index}-name") for index in range(4)] == ["Grace Wanjiru", "Peter Obi", "", None]
    assert value_of(response, "speaker-TOTAL_FORMS") == "3"
    assert reload(draft).title == TITLE


def test_save_and_submit_refused_by_the_service_keeps_the_saved_application(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(url("edit", draft), form_data([], title="A panel still to find", submit="1"))

    assert response.status_code == 200
    assert summary_heading(response) == "The application is saved, but it was not submitted"
    assert summary(response) == ["Name at least one speaker."]
    assert (reload(draft).title, reload(draft).status) == ("A panel still to find", SideEventStatus.DRAFT)
    assert value_of(response, "title") == "A panel still to find"
    assert f'action="{url("edit", draft)}"' in response.content.decode()


def test_apply_and_submit_at_once_without_speakers_saves_the_draft_and_says_why_not_sent(client, cnd70, organizations, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(APPLY, form_data([], submit="1"))

    event = SideEvent.objects.get()
    assert event.status == SideEventStatus.DRAFT
    assert summary_heading(response) == "The application is saved, but it was not submitted"
    assert summary(response) == ["Name at least one speaker."]
    # The form now changes the saved draft rather than proposing a second one.
    assert f'action="{url("edit", event)}"' in response.content.decode()
    assert value_of(response, "organization") is None


def test_returned_application_shows_what_csu_asks_and_can_be_submitted_again(client, submitted, focal_points, csu_officer):
    services.review_side_event(submitted, "return", by=csu_officer, reason="Add a speaker from Asia.")
    sign_in(client, focal_points["a"])

    page = client.get(url("edit", submitted))
    assert "The Civil Society Unit asks for these changes: Add a speaker from Asia." in main(page)

    response = client.post(url("edit", submitted), form_data([*PANEL[:2], speaker(name="Li Wei", gender="male", country="CN")], initial=2, submit="1"))

    assert response.status_code == 302
    assert reload(submitted).status == SideEventStatus.SUBMITTED
    assert reload(submitted).submitted_at == submitted.submitted_at


def test_submitted_application_form_sends_back_to_its_page(client, submitted, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(url("edit", submitted))
    posted = client.post(url("edit", submitted), form_data(PANEL, title="Changed", save="1"))

    assert response.status_code == 302
    assert response["Location"] == url("detail", submitted)
    assert shown_messages(response) == ["This application can no longer be changed. Its status: Submitted."]
    assert posted["Location"] == url("detail", submitted)
    assert reload(submitted).title == TITLE


# --- The speaker row and the panel indicators --------------------------------------------------------


def test_speaker_row_returns_an_empty_row_with_the_next_prefix(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(f"/events/applications/{draft.pk}/speaker-row/?index=2")

    page = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'name="(speaker-2-[A-Za-z]+)"', page) == [
        "speaker-2-name", "speaker-2-title", "speaker-2-affiliation", "speaker-2-gender", "speaker-2-country", "speaker-2-DELETE",
    ]
    assert "<legend>Speaker 3</legend>" in page
    assert "Remove speaker 3" in page
    assert '<input type="hidden" name="speaker-TOTAL_FORMS" value="3" id="id_speaker-TOTAL_FORMS" hx-swap-oob="true">' in page
    assert '<div id="add-speaker" class="button-row" hx-swap-oob="true">' in page
    assert f'hx-get="/events/applications/{draft.pk}/speaker-row/?index=3"' in page
    assert " required" not in page


@pytest.mark.parametrize("index", ["", "x", "-1", "21"])
def test_speaker_row_refuses_a_bad_index(client, draft, focal_points, index):
    sign_in(client, focal_points["a"])

    response = client.get(f"/events/applications/{draft.pk}/speaker-row/?index={index}")

    assert response.status_code == 400
    assert response.content.decode() == "Reload the page to add a speaker."


def test_speaker_row_is_not_offered_beyond_twenty_speakers(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(f"/events/applications/{draft.pk}/speaker-row/?index=20")

    page = response.content.decode()
    assert "speaker-20-name" not in page
    assert '<div id="add-speaker" class="button-row" hx-swap-oob="true">' in page
    assert '<p class="full-note">A panel has at most 20 speakers.</p>' in page
    assert re.findall(r'<button type="submit" name="add_speaker"[^>]*>', page) == [
        '<button type="submit" name="add_speaker" value="1" class="secondary"\n'
        f'        hx-get="/events/applications/{draft.pk}/speaker-row/?index=20" hx-target="#speaker-forms" hx-swap="beforeend" hidden>'
    ]


def test_indicators_of_a_posted_formset(client, cnd70, focal_points):
    sign_in(client, focal_points["a"])
    before = (ActivityLog.objects.count(), Speaker.objects.count(), SideEvent.objects.count())

    removed = {**PANEL[0], "name": "Removed Person", "country": "JP", "DELETE": True}
    empty = speaker(name="", title="", affiliation="", gender="", country="")

    response = client.post(INDICATORS, form_data([*PANEL, removed, empty]))

    assert response.status_code == 200
    assert response.content.decode().strip().startswith('<div id="panel-indicators" class="panel-indicators" aria-live="polite">')
    assert indicators(response.content.decode()) == [
        "Speakers: 4 · women 2, men 2 · gender-balanced", "Regions: African States, Western European and other States (3 countries)",
    ]
    assert (ActivityLog.objects.count(), Speaker.objects.count(), SideEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([], ["Speakers: none yet", "Regions: none yet"]),
        ([speaker()], ["Speakers: 1 · women 1, men 0", "Regions: African States (1 country)"]),
        (
            [speaker(), speaker(name="B", country="KE"), speaker(name="C", gender="other", country="XX"), speaker(name="D", country="UG")],
            ["Speakers: 4 · women 3, men 0, other or not stated 1 · not gender-balanced", "Regions: African States (2 countries)"],
        ),
        ([speaker(name="Half typed", gender="male", country="")], ["Speakers: 1 · women 0, men 1", "Regions: none yet"]),
    ],
)
def test_indicators_count_what_is_typed_so_far(client, cnd70, focal_points, rows, expected):
    sign_in(client, focal_points["a"])

    response = client.post(INDICATORS, form_data(rows))

    assert indicators(response.content.decode()) == expected


def test_indicators_with_a_broken_formset_count_nothing(client, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(INDICATORS, {"speaker-TOTAL_FORMS": "many"})

    assert indicators(response.content.decode()) == ["Speakers: none yet", "Regions: none yet"]


def test_indicators_need_sign_in_and_a_post(client, focal_points):
    assert client.post(INDICATORS, form_data(PANEL))["Location"].startswith("/accounts/login/?next=")
    sign_in(client, focal_points["a"])
    assert client.get(INDICATORS).status_code == 405


# --- Who sees what -------------------------------------------------------------------------------


def event_urls(event) -> list[str]:
    return [url("detail", event), url("edit", event), url("row", event)]


def test_application_pages_need_sign_in(client, submitted):
    for address in [*event_urls(submitted), MINE, APPLY]:
        response = client.get(address)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    assert client.post(url("detail", submitted), {"action": "withdraw"})["Location"].startswith("/accounts/login/?next=")
    assert reload(submitted).status == SideEventStatus.SUBMITTED


@pytest.mark.parametrize("who", ["outsider", "other focal point"])
def test_application_pages_are_404_for_people_without_a_part_in_it(client, draft, outsider, third, who):
    sign_in(client, {"outsider": outsider, "other focal point": third}[who])
    co_organizer = draft.co_organizers.get()

    assert [client.get(address).status_code for address in event_urls(draft)] == [404, 404, 404]
    for action in ("submit", "withdraw"):
        assert client.post(url("detail", draft), {"action": action}).status_code == 404
    for action in ("confirm", "decline"):
        assert client.post(url("detail", draft), {"action": action, "co_organizer": co_organizer.pk}).status_code == 404
    assert client.post(url("edit", draft), form_data(PANEL, title="Taken over", save="1")).status_code == 404
    assert (reload(draft).title, reload(draft).status) == (TITLE, SideEventStatus.DRAFT)
    assert draft.co_organizers.get().status == CoOrganizerStatus.PENDING
    assert main(client.get(MINE)).count(TITLE) == 0


def test_application_page_for_the_co_organizer(client, draft, organizations, focal_points):
    sign_in(client, focal_points["b"])

    response = client.get(url("detail", draft))

    page = main(response)
    assert response.status_code == 200
    assert "Prison Reform Network (PRN) Awaiting confirmation" in page
    assert re.findall(r"<button[^>]*>([^<]+)</button>", response.content.decode().split('id="co-organizers-heading"')[1].split("</section>")[0]) == [
        "Confirm that Prison Reform Network (PRN) co-organizes this event", "Decline for Prison Reform Network (PRN)",
    ]
    assert "Edit the application" not in page and "Submit the application" not in page and "Withdraw the application" not in page
    assert "Decision" not in re.findall(r"<h2[^>]*>(.*?)</h2>", response.content.decode())


def test_co_organizer_cannot_edit_submit_or_withdraw(client, draft, focal_points):
    sign_in(client, focal_points["b"])

    edit = client.get(url("edit", draft))
    posted = client.post(url("edit", draft), form_data(PANEL, title="Changed by the partner", save="1"))

    assert edit.status_code == 302 and edit["Location"] == url("detail", draft)
    assert shown_messages(edit) == ["Only the lead organizer's focal points can change the application."]
    assert posted["Location"] == url("detail", draft)
    assert client.get(url("row", draft)).status_code == 404
    for action in ("submit", "withdraw"):
        assert client.post(url("detail", draft), {"action": action}).status_code == 404
    assert (reload(draft).title, reload(draft).status) == (TITLE, SideEventStatus.DRAFT)


def test_co_organizer_declines(client, submitted, focal_points):
    sign_in(client, focal_points["b"])
    co_organizer = submitted.co_organizers.get()

    response = client.post(url("detail", submitted), {"action": "decline", "co_organizer": co_organizer.pk})

    assert response["Location"] == url("detail", submitted)
    assert shown_messages(response) == [
        f"You declined, for Prison Reform Network (PRN), to co-organize “{TITLE}”. We told Harm Reduction Alliance (HRA)."
    ]
    assert submitted.co_organizers.get().status == CoOrganizerStatus.DECLINED
    page = client.get(url("detail", submitted))
    assert "Prison Reform Network (PRN) Declined" in main(page)
    assert "Confirm that" not in main(page)
    assert timeline(page)[-1] == "Co-organizing declined Prison Reform Network (PRN)"


def test_co_organizer_answering_twice_is_told_who_answered(client, submitted, focal_points):
    services.confirm_co_organizer(submitted.co_organizers.get(), by=focal_points["b"], accept=True)
    sign_in(client, focal_points["b"])

    response = client.post(url("detail", submitted), {"action": "decline", "co_organizer": submitted.co_organizers.get().pk})

    assert shown_messages(response) == ["Prison Reform Network (PRN) already answered: Confirmed."]
    assert submitted.co_organizers.get().status == CoOrganizerStatus.CONFIRMED


def test_lead_focal_point_cannot_answer_for_the_co_organizer(client, submitted, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(url("detail", submitted), {"action": "confirm", "co_organizer": submitted.co_organizers.get().pk})

    assert response.status_code == 404
    assert submitted.co_organizers.get().status == CoOrganizerStatus.PENDING


def test_application_page_for_csu_shows_everything_and_the_decisions(client, submitted, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(url("detail", submitted))

    page = main(response)
    assert response.status_code == 200
    assert indicators(response.content.decode()) == ["Speakers: 2 · women 1, men 1 · gender-balanced", "Regions: African States (2 countries)"]
    assert "Grace Wanjiru" in page and "Peter Obi" in page
    assert "Decision" in re.findall(r"<h2[^>]*>(.*?)</h2>", response.content.decode())
    assert "Edit the application" not in page and "Submit the application" not in page and "Withdraw the application" not in page
    assert "Confirm that" not in page
    assert '<a href="/sessions/cnd/70/side-events/">' in response.content.decode()


def test_application_page_for_csu_of_a_draft_offers_no_decision(client, draft, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(url("detail", draft))

    assert response.status_code == 200
    assert "Decision" not in re.findall(r"<h2[^>]*>(.*?)</h2>", response.content.decode())
    assert "A draft: nothing is sent yet." in main(response)


def test_application_form_is_closed_to_csu(client, draft, csu_officer):
    sign_in(client, csu_officer)

    response = client.get(url("edit", draft))

    assert response["Location"] == url("detail", draft)
    assert shown_messages(response) == ["Only the lead organizer's focal points can change the application."]
    assert client.get(url("row", draft)).status_code == 404
    assert client.post(url("detail", draft), {"action": "submit"}).status_code == 404
    assert reload(draft).status == SideEventStatus.DRAFT


def test_application_page_staff_need_two_factor_authentication(client, submitted, csu_officer):
    client.force_login(csu_officer)

    response = client.get(url("detail", submitted))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


# --- The application's page ------------------------------------------------------------------------


def test_application_page_for_the_lead_focal_point(client, submitted, organizations, focal_points):
    submitted.co_sponsoring_states = ["AT", "KE"]
    submitted.co_sponsoring_un_entities = "UNAIDS, WHO"
    submitted.languages = ["en", "es"]
    submitted.save()
    sign_in(client, focal_points["a"])

    response = client.get(url("detail", submitted))

    page = main(response)
    assert (
        f"Submitted on {local(submitted.submitted_at)}, Vienna time. The Civil Society Unit reviews applications "
        "in the order they arrived and will e-mail its decision."
    ) in page
    event_section = response.content.decode().split('id="event-heading"')[1].split("</section>")[0]
    facts = {words(term): words(value) for term, value in re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", event_section, re.S)}
    assert facts == {
        "Themes": "—", "Format": "In person", "Languages": "English, Spanish", "Expected audience": "60",
        "Co-sponsoring States": "Austria, Kenya", "Co-sponsoring UN entities": "UNAIDS, WHO",
    }
    assert "Withdraw the application" in page
    assert "Edit the application" not in page and "Submit the application" not in page
    assert timeline(response) == ["Application started", "Submitted to the Civil Society Unit"]
    assert re.findall(r'<td data-label="Who">(.*?)</td>', response.content.decode()) == ["Focal point of HRA"] * 2


def test_application_page_of_a_draft_offers_edit_and_submit(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.get(url("detail", draft))

    assert re.findall(r'<a href="([^"]+)" role="button"[^>]*>Edit the application</a>', response.content.decode()) == [url("edit", draft)]
    assert "Submit the application" in main(response)
    assert f"A draft: nothing is sent yet. Submit it before {local(draft.session.side_events_close)}, Vienna time." in main(response)


def test_submit_from_the_application_page(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    response = client.post(url("detail", draft), {"action": "submit"})

    assert response["Location"] == url("detail", draft)
    assert shown_messages(response) == [SUBMITTED]
    assert reload(draft).status == SideEventStatus.SUBMITTED


def test_submit_from_the_application_page_refused_says_why(client, draft, focal_points):
    Speaker.objects.filter(event=draft).delete()
    sign_in(client, focal_points["a"])

    response = client.post(url("detail", draft), {"action": "submit"})

    assert response.status_code == 200
    assert summary_heading(response) == "The application was not submitted"
    assert summary(response) == ["Name at least one speaker."]
    assert reload(draft).status == SideEventStatus.DRAFT


def test_withdraw_from_the_application_page(client, submitted, focal_points):
    sign_in(client, focal_points["a"])

    page = client.get(url("detail", submitted))
    assert re.findall(r'data-confirm="([^"]+)"', page.content.decode()) == [
        f"Withdraw the side event “{TITLE}”? The Civil Society Unit will no longer consider it, and this cannot be undone."
    ]
    response = client.post(url("detail", submitted), {"action": "withdraw"})

    assert response["Location"] == url("detail", submitted)
    assert shown_messages(response) == [f"The side event “{TITLE}” is withdrawn. The Civil Society Unit no longer considers it."]
    assert reload(submitted).status == SideEventStatus.WITHDRAWN
    after = client.get(url("detail", submitted))
    assert "Withdrawn by the lead organizer. The application has ended." in main(after)
    assert "Withdraw the application" not in main(after)
    assert client.post(url("detail", submitted), {"action": "withdraw"}).status_code == 302
    assert actions_on(submitted).count("events.side_event.withdrawn") == 1


def test_unknown_action_is_404(client, draft, focal_points):
    sign_in(client, focal_points["a"])

    assert client.post(url("detail", draft), {"action": "accept"}).status_code == 404
    assert client.post(url("detail", draft), {"action": "confirm", "co_organizer": "x"}).status_code == 404


def test_application_page_shows_the_reason_of_the_latest_decision(client, now, submitted, focal_points, csu_officer):
    services.review_side_event(submitted, "return", by=csu_officer, reason="Add a speaker from Asia.")
    sign_in(client, focal_points["a"])

    response = client.get(url("detail", submitted))

    page = main(response)
    assert f"Reason given by Clara Officer on {local(now)}: Add a speaker from Asia." in page
    assert (
        f"Returned for changes: change the application as asked and submit it again before {local(submitted.session.side_events_close)}, "
        "Vienna time. It keeps its place in the queue."
    ) in page
    assert timeline(response)[-1] == "Returned for changes Add a speaker from Asia."
    assert "Edit the application" in page and "Submit the application" in page


def test_application_page_shows_room_and_time_once_scheduled(client, now, submitted, focal_points, csu_officer):
    services.review_side_event(submitted, "accept", by=csu_officer)
    room = Room.objects.create(venue="Vienna International Centre", name="Boardroom B", capacity=80)
    services.create_slots(submitted.session, by=csu_officer, times=[(time(13, 10), time(14, 0))])
    slot = submitted.session.slots.order_by("starts_at")[1]
    services.schedule_side_event(reload(submitted), by=csu_officer, room=room, slot=slot)
    sign_in(client, focal_points["a"])

    response = client.get(url("detail", submitted))

    start = slot.starts_at.astimezone(VIENNA)
    expected = f"Boardroom B, {start:%A %-d %B %Y}, 13:10–14:00 (Vienna time)"
    assert words(re.search(r'<dd id="room-and-time">(.*?)</dd>', response.content.decode(), re.S).group(1)) == expected
    assert f"Accepted and scheduled: it is on the public programme of {CND70}." in main(response)
    assert timeline(response)[-2:] == ["Accepted by the Civil Society Unit", f"Room and time set Boardroom B, {slot}"]


def test_application_page_of_an_accepted_event_not_yet_scheduled(client, submitted, focal_points, csu_officer):
    services.review_side_event(submitted, "accept", by=csu_officer)
    sign_in(client, focal_points["a"])

    response = client.get(url("detail", submitted))

    assert "Accepted. The Civil Society Unit will give it a room and a time; we will e-mail you." in main(response)
    assert 'id="room-and-time"' not in response.content.decode()


# --- My side events ------------------------------------------------------------------------------


def test_my_applications_shows_my_part_in_each_event(client, now, submitted, commissions, organizations, focal_points):
    past = Session.objects.create(
        commission=commissions["ccpcj"], number=34, title="34th session of the CCPCJ",
        start_date=(now - timedelta(days=200)).date(), end_date=(now - timedelta(days=196)).date(), venue="Vienna",
    )
    old = SideEvent.objects.create(
        session=past, lead_organization=organizations["b"], title="Prisons after the pandemic", description="About it.",
        status=SideEventStatus.ACCEPTED,
    )
    CoOrganizer.objects.create(event=old, organization=organizations["a"], status=CoOrganizerStatus.CONFIRMED)

    sign_in(client, focal_points["a"])
    mine = client.get(MINE).content.decode()
    upcoming = mine[mine.index('id="upcoming-heading"') : mine.index('id="past-heading"')]
    past_part = mine[mine.index('id="past-heading"') :]
    assert re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', upcoming) == [TITLE]
    assert re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', past_part) == ["Prisons after the pandemic"]
    assert [words(cell) for cell in re.findall(r'<td data-label="Your part">(.*?)</td>', mine, re.S)] == [
        "Lead organizer", "Co-organizer: Harm Reduction Alliance (HRA), confirmed",
    ]
    assert re.findall(r'<span class="badge badge-side-event-\w+">([^<]+)</span>', mine) == ["Submitted", "Accepted"]

    sign_in(client, focal_points["b"])
    partner = client.get(MINE).content.decode()
    assert [words(cell) for cell in re.findall(r'<td data-label="Your part">(.*?)</td>', partner, re.S)] == [
        "Co-organizer: Prison Reform Network (PRN) — your confirmation is awaited", "Lead organizer",
    ]


def test_my_applications_is_empty_and_links_to_open_sessions(client, cnd70, commissions, outsider):
    Session.objects.create(
        commission=commissions["ccpcj"], number=35, title="35th session of the CCPCJ",
        start_date=cnd70.start_date, end_date=cnd70.end_date, venue="Vienna",
    )
    sign_in(client, outsider)

    response = client.get(MINE)

    assert "Your organizations have not proposed or co-organized any side event yet." in main(response)
    assert re.findall(r'<a href="(/sessions/[^"]+/side-events/apply/)">([^<]+)</a>', response.content.decode()) == [
        ("/sessions/cnd/70/side-events/apply/", f"Propose a side event at {CND70}"),
    ]


def test_my_applications_pages_over_fifty(client, now, commissions, organizations, focal_points):
    sessions_ = Session.objects.bulk_create(
        Session(
            commission=commissions["ccpcj"], number=number, title=f"Session {number}",
            start_date=(now + timedelta(days=number)).date(), end_date=(now + timedelta(days=number)).date(), venue="Vienna",
        )
        for number in range(1, 53)
    )
    SideEvent.objects.bulk_create(
        SideEvent(session=session, lead_organization=organizations["a"], title=f"Event {session.number}", description="About it.")
        for session in sessions_
    )
    sign_in(client, focal_points["a"])

    first = client.get(MINE).content.decode()
    second = client.get(f"{MINE}?page=2").content.decode()

    assert first.count('<th scope="row">') == 50 and second.count('<th scope="row">') == 2
    assert "Page 1 of 2" in first


# --- Query counts -----------------------------------------------------------------------------------


def test_my_applications_query_count_does_not_grow(client, now, draft, commissions, organizations, focal_points, django_assert_num_queries):
    sign_in(client, focal_points["b"])
    # the login session with the user and its roles (portal.login_sessions), count, page of events, the person's organizations,
    # their co-organizer rows
    with django_assert_num_queries(MY_APPLICATIONS_QUERIES):
        client.get(MINE)
    for number in range(1, 6):
        session = Session.objects.create(
            commission=commissions["ccpcj"], number=number, title=f"Session {number}",
            start_date=(now + timedelta(days=number)).date(), end_date=(now + timedelta(days=number)).date(), venue="Vienna",
        )
        event = SideEvent.objects.create(session=session, lead_organization=organizations["a"], title=f"Event {number}", description="About it.")
        CoOrganizer.objects.create(event=event, organization=organizations["b"])
        Speaker.objects.bulk_create(Speaker(event=event, name=f"S{n}", gender="female", country="KE") for n in range(3))
    with django_assert_num_queries(MY_APPLICATIONS_QUERIES):
        response = client.get(MINE)
    assert response.content.decode().count("your confirmation is awaited") == 6


MY_APPLICATIONS_QUERIES = 5


@pytest.mark.parametrize("viewer", ["lead", "co-organizer", "csu"])
def test_application_page_query_count_does_not_grow(
    client, submitted, organizations, focal_points, csu_officer, third, django_assert_num_queries, viewer
):
    person = {"lead": focal_points["a"], "co-organizer": focal_points["b"], "csu": csu_officer}[viewer]
    sign_in(client, person)
    client.get(url("detail", submitted))  # the content type of side events is cached from then on

    with django_assert_num_queries(DETAIL_QUERIES[viewer]):
        client.get(url("detail", submitted))
    Speaker.objects.bulk_create(
        Speaker(event=submitted, name=f"Extra {number}", gender="male", country="FR", position=10 + number) for number in range(6)
    )
    CoOrganizer.objects.create(event=submitted, organization=Organization.objects.get(slug="ydpn"))
    services.confirm_co_organizer(submitted.co_organizers.get(organization=organizations["b"]), by=focal_points["b"], accept=True)
    submitted.themes.set([])
    with django_assert_num_queries(DETAIL_QUERIES[viewer]):
        client.get(url("detail", submitted))


# the login session with the user, its roles and MFA (portal.login_sessions), event, focal point of the lead organizer, speakers,
# co-organizers, which of them the person answers for, themes, timeline; a co-organizer's focal point and CSU:
# + focal point of a co-organizer.
DETAIL_QUERIES = {"lead": 8, "co-organizer": 9, "csu": 9}


# --- In a real browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_speakers_added_in_the_browser_update_the_indicators_as_they_are_typed(live_server, browser_page, commissions, organizations, focal_points):
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone
    from playwright.sync_api import expect

    moment = timezone.now()
    session = Session.objects.create(
        commission=commissions["cnd"], number=70, title=CND70,
        start_date=(moment + timedelta(days=40)).date(), end_date=(moment + timedelta(days=44)).date(), venue="Vienna International Centre",
        side_events_open=moment - timedelta(days=1), side_events_close=moment + timedelta(days=10),
    )
    event = services.save_side_event(
        None, by=focal_points["a"], session=session, organization=organizations["a"],
        data={"title": TITLE, "description": "What East African prisons learnt.", "format": "in_person", "expected_audience": 60},
        speakers=[speaker_data(PANEL[0]), speaker_data(PANEL[1])],
    )
    signed_in = Client()
    signed_in.force_login(focal_points["a"])
    page = browser_page
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": signed_in.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}{url('edit', event)}")
    box = page.locator("#panel-indicators")
    expect(box).to_have_text(re.compile(r"Speakers: 2 · women 1, men 1 · gender-balanced\s+Regions: African States \(2 countries\)"))

    with page.expect_response(re.compile(r"/speaker-row/\?index=2")) as added:
        page.get_by_role("button", name="Add a speaker", exact=True).click()
    assert added.value.status == 200
    third = page.get_by_role("group", name="Speaker 3", exact=True)
    third.get_by_label("Name").fill("Claire Dubois")
    third.get_by_label("Gender").select_option("female")
    with page.expect_response(re.compile(r"/events/applications/indicators/$")) as counted:
        third.get_by_label("Country").select_option("FR")
    assert counted.value.request.method == "POST"
    expect(box).to_have_text(
        re.compile(r"Speakers: 3 · women 2, men 1 · not gender-balanced\s+Regions: African States, Western European and other States \(3 countries\)")
    )

    page.get_by_role("button", name="Add a speaker", exact=True).click()
    fourth = page.get_by_role("group", name="Speaker 4", exact=True)
    fourth.get_by_label("Name").fill("Jean Martin")
    fourth.get_by_label("Gender").select_option("male")
    fourth.get_by_label("Country").select_option("FR")
    expect(box).to_have_text(re.compile(r"Speakers: 4 · women 2, men 2 · gender-balanced"))
    expect(page.locator("#id_speaker-TOTAL_FORMS")).to_have_value("4")

    page.get_by_label("Remove speaker 1").check()
    expect(box).to_have_text(
        re.compile(r"Speakers: 3 · women 1, men 2 · not gender-balanced\s+Regions: African States, Western European and other States \(2 countries\)")
    )
    page.get_by_role("button", name="Save draft", exact=True).last.click()

    expect(page.locator(".message-success")).to_have_text(re.compile(r"^The draft is saved\."))
    assert [row[0] for row in speakers_of(event)] == ["Peter Obi", "Claire Dubois", "Jean Martin"]
    assert page.console_errors.csp_violations == [], "Content Security Policy violations"
    assert list(page.console_errors) == [], "errors in the browser console"
