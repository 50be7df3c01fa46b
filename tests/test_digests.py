"""The daily digest: what waits for coordinators and CSU, once per person and day, also when run twice at once."""

import datetime as dt
import threading
import zoneinfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import close_old_connections, connection, transaction
from django.test.utils import CaptureQueriesContext

from events.models import SideEvent
from organizations.models import Organization, OrganizationMember
from portal.digests import send_daily_digests
from portal.models import DigestSent
from portal.tasks import send_digests
from sessions.models import Registration, Session
from umbrella.models import Coordinator, UmbrellaMembership

pytestmark = pytest.mark.django_db(transaction=True)

VIENNA = zoneinfo.ZoneInfo("Europe/Vienna")
URL = settings.PORTAL_BASE_URL


def sent() -> list[tuple[list[str], str]]:
    return sorted((message.to, message.subject) for message in mail.outbox)


def body_to(email: str) -> str:
    [message] = [message for message in mail.outbox if message.to == [email]]
    return message.body


def html_to(email: str) -> str:
    [message] = [message for message in mail.outbox if message.to == [email]]
    return message.alternatives[0].content


def item_lines(body: str) -> list[str]:
    """The digest's items: each "- sentence" line with the address on the line below."""
    lines = body.splitlines()
    return [f"{line} | {lines[n + 1].strip()}" for n, line in enumerate(lines) if line.startswith("- ")]


def make_session(commission, number=70, *, start=dt.date(2027, 3, 8)) -> Session:
    return Session.objects.create(
        commission=commission, number=number, title=f"{number}th session of the {commission.name}",
        start_date=start, end_date=start + dt.timedelta(days=4), venue="Vienna International Centre",
    )


def apply(organization, body) -> UmbrellaMembership:
    return UmbrellaMembership.objects.create(organization=organization, body=body, status="applied")


def register(session, organization, *, status, body=None) -> Registration:
    return Registration.objects.create(
        session=session, organization=organization, status=status,
        channel="umbrella" if body else "direct", umbrella_body=body,
    )


def propose_side_event(session, organization, *, status="submitted") -> SideEvent:
    return SideEvent.objects.create(
        session=session, lead_organization=organization, title=f"{organization.acronym} panel",
        description="A panel.", status=status,
    )


def new_organization(slug: str) -> Organization:
    """An organization CSU has not verified yet."""
    return Organization.objects.create(name=f"Organization {slug}", acronym=slug.upper(), slug=slug, headquarters_country="FR")


def test_digest_nothing_waiting_sends_nothing(csu_officer, coordinators, organizations, commissions):
    make_session(commissions["cnd"])

    assert send_daily_digests() == 0

    assert mail.outbox == []
    assert DigestSent.objects.count() == 0


def test_digest_coordinator_gets_one_email_with_the_application_and_the_endorsement(
    bodies, coordinators, organizations, commissions
):
    cnd = make_session(commissions["cnd"])
    apply(organizations["a"], bodies["vngoc"])
    register(cnd, organizations["b"], status="awaiting", body=bodies["vngoc"])

    assert send_daily_digests() == 1

    assert sent() == [(["coordinator@vngoc.test"], "Daily digest: 2 items wait for you in the portal")]
    assert body_to("coordinator@vngoc.test") == (
        "Hello,\n"
        "\n"
        "Here is what waits for you in the portal today:\n"
        "\n"
        "- 1 membership application to VNGOC waits for your decision\n"
        f"  {URL}/umbrella/vngoc/manage/\n"
        "- 1 delegation registered through VNGOC waits for your endorsement\n"
        f"  {URL}/umbrella/vngoc/endorsements/\n"
        "\n"
        "The UNODC Civil Society Unit\n"
        f"{URL}\n"
    )
    html = html_to("coordinator@vngoc.test")
    assert f'<li><a href="{URL}/umbrella/vngoc/manage/">1 membership application to VNGOC waits for your decision</a></li>' in html
    assert (
        f'<li><a href="{URL}/umbrella/vngoc/endorsements/">1 delegation registered through VNGOC waits for your endorsement</a></li>'
        in html
    )
    assert list(DigestSent.objects.values_list("user__email", flat=True)) == ["coordinator@vngoc.test"]


def test_digest_counts_several_items_in_one_line(bodies, coordinators, organizations, commissions):
    apply(organizations["a"], bodies["alliance"])
    apply(organizations["b"], bodies["alliance"])
    apply(new_organization("third"), bodies["alliance"])

    assert send_daily_digests() == 1

    assert sent() == [(["coordinator@alliance.test"], "Daily digest: 3 items wait for you in the portal")]
    assert item_lines(body_to("coordinator@alliance.test")) == [
        f"- 3 membership applications to Alliance wait for your decision | {URL}/umbrella/alliance/manage/",
    ]


def test_digest_leaves_out_the_coordinators_own_organization_and_tells_csu(
    bodies, coordinators, organizations, focal_points, commissions, csu_officer
):
    cnd = make_session(commissions["cnd"])
    OrganizationMember.objects.create(organization=organizations["a"], user=coordinators["vngoc"])
    apply(organizations["a"], bodies["vngoc"])
    register(cnd, organizations["a"], status="awaiting", body=bodies["vngoc"])
    apply(organizations["b"], bodies["vngoc"])

    assert send_daily_digests() == 2

    assert sent() == [
        (["coordinator@vngoc.test"], "Daily digest: 1 item waits for you in the portal"),
        (["officer@unodc.test"], "Daily digest: 1 item waits for you in the portal"),
    ]
    assert item_lines(body_to("coordinator@vngoc.test")) == [
        f"- 1 membership application to VNGOC waits for your decision | {URL}/umbrella/vngoc/manage/",
    ]
    assert item_lines(body_to("officer@unodc.test")) == [
        "- 1 membership application to VNGOC can only be decided by the Civil Society Unit, as its coordinators are "
        f"focal points of the applicant | {URL}/umbrella/vngoc/manage/",
    ]


def test_digest_coordinator_whose_only_items_are_their_own_gets_nothing(
    bodies, coordinators, organizations, commissions
):
    cnd = make_session(commissions["cnd"])
    OrganizationMember.objects.create(organization=organizations["a"], user=coordinators["vngoc"])
    apply(organizations["a"], bodies["vngoc"])
    register(cnd, organizations["a"], status="awaiting", body=bodies["vngoc"])

    assert send_daily_digests() == 0

    assert mail.outbox == []


def test_digest_csu_gets_its_lines(bodies, coordinators, organizations, commissions, csu_officer):
    cnd = make_session(commissions["cnd"])
    ccpcj = make_session(commissions["ccpcj"], number=36, start=dt.date(2027, 5, 17))
    third = new_organization("third")
    register(cnd, organizations["a"], status="submitted")
    register(cnd, organizations["b"], status="endorsed", body=bodies["vngoc"])
    register(cnd, third, status="awaiting", body=bodies["vngoc"])  # the body's turn, not CSU's
    register(ccpcj, organizations["a"], status="draft")
    register(ccpcj, organizations["b"], status="approved")
    propose_side_event(cnd, organizations["a"])
    propose_side_event(ccpcj, organizations["a"])
    propose_side_event(ccpcj, organizations["b"], status="draft")
    new_organization("fourth")

    assert send_daily_digests() == 2

    assert sent() == [
        (["coordinator@vngoc.test"], "Daily digest: 1 item waits for you in the portal"),
        (["officer@unodc.test"], "Daily digest: 6 items wait for you in the portal"),
    ]
    assert item_lines(body_to("officer@unodc.test")) == [
        f"- 2 registrations to the {cnd.title} wait for review | {URL}/sessions/cnd/70/registrations/",
        f"- 1 side-event application for the {cnd.title} waits for review | {URL}/sessions/cnd/70/side-events/",
        f"- 1 side-event application for the {ccpcj.title} waits for review | {URL}/sessions/ccpcj/36/side-events/",
        f"- 2 organizations wait for verification | {URL}/organizations/review/",
    ]
    assert item_lines(body_to("coordinator@vngoc.test")) == [
        f"- 1 delegation registered through VNGOC waits for your endorsement | {URL}/umbrella/vngoc/endorsements/",
    ]


def test_digest_a_csu_officer_who_coordinates_gets_both_in_one_email(bodies, coordinators, organizations, csu_officer):
    Coordinator.objects.create(body=bodies["alliance"], user=csu_officer)
    apply(organizations["a"], bodies["alliance"])
    new_organization("third")

    assert send_daily_digests() == 2

    assert sent() == [
        (["coordinator@alliance.test"], "Daily digest: 1 item waits for you in the portal"),
        (["officer@unodc.test"], "Daily digest: 2 items wait for you in the portal"),
    ]
    assert item_lines(body_to("officer@unodc.test")) == [
        f"- 1 membership application to Alliance waits for your decision | {URL}/umbrella/alliance/manage/",
        f"- 1 organization waits for verification | {URL}/organizations/review/",
    ]


def test_digest_skips_inactive_people(bodies, coordinators, organizations, csu_officer):
    coordinators["vngoc"].is_active = False
    coordinators["vngoc"].save(update_fields=["is_active"])
    csu_officer.is_active = False
    csu_officer.save(update_fields=["is_active"])
    apply(organizations["a"], bodies["vngoc"])
    new_organization("third")

    assert send_daily_digests() == 0

    assert mail.outbox == []


def test_digest_is_written_in_the_recipients_language(bodies, coordinators, organizations):
    coordinators["vngoc"].language = "fr"
    coordinators["vngoc"].save(update_fields=["language"])
    apply(organizations["a"], bodies["vngoc"])

    assert send_daily_digests() == 1

    [message] = mail.outbox
    assert message.body.startswith("Bonjour,")
    assert message.body.rstrip().endswith(URL)


def test_send_digests_task_run_twice_the_same_day_sends_once(bodies, coordinators, organizations):
    apply(organizations["a"], bodies["vngoc"])

    assert send_digests.apply().get() == 1
    assert send_digests.apply().get() == 0

    assert sent() == [(["coordinator@vngoc.test"], "Daily digest: 1 item waits for you in the portal")]
    assert DigestSent.objects.count() == 1


def test_send_digests_task_returns_how_many_it_queued(bodies, coordinators, organizations, csu_officer):
    apply(organizations["a"], bodies["vngoc"])
    apply(organizations["b"], bodies["alliance"])
    new_organization("third")

    result = send_digests.apply()

    assert result.successful()
    assert result.get() == 3
    assert [to for to, _ in sent()] == [["coordinator@alliance.test"], ["coordinator@vngoc.test"], ["officer@unodc.test"]]


def test_digest_is_sent_again_the_next_day(bodies, coordinators, organizations):
    apply(organizations["a"], bodies["vngoc"])

    with time_machine.travel(dt.datetime(2027, 2, 1, 7, 0, tzinfo=VIENNA), tick=False):
        assert send_daily_digests() == 1
    with time_machine.travel(dt.datetime(2027, 2, 1, 23, 59, tzinfo=VIENNA), tick=False):
        assert send_daily_digests() == 0
    with time_machine.travel(dt.datetime(2027, 2, 2, 0, 1, tzinfo=VIENNA), tick=False):
        assert send_daily_digests() == 1

    assert len(mail.outbox) == 2
    assert list(DigestSent.objects.order_by("day").values_list("day", flat=True)) == [dt.date(2027, 2, 1), dt.date(2027, 2, 2)]


def test_digest_day_is_the_day_in_the_portals_time_zone(bodies, coordinators, organizations):
    apply(organizations["a"], bodies["vngoc"])

    # 23:30 UTC on 1 February is already 2 February in Vienna, and 22:30 UTC the next evening still is.
    assert send_daily_digests(now=dt.datetime(2027, 2, 1, 23, 30, tzinfo=dt.UTC)) == 1
    assert send_daily_digests(now=dt.datetime(2027, 2, 2, 22, 30, tzinfo=dt.UTC)) == 0

    assert list(DigestSent.objects.values_list("day", flat=True)) == [dt.date(2027, 2, 2)]
    assert len(mail.outbox) == 1


def test_digest_rolled_back_sends_nothing_and_is_sent_by_the_next_run(bodies, coordinators, organizations):
    apply(organizations["a"], bodies["vngoc"])

    with pytest.raises(RuntimeError), transaction.atomic():
        assert send_daily_digests() == 1
        raise RuntimeError("the run fails after queuing")

    assert mail.outbox == []
    assert DigestSent.objects.count() == 0
    assert send_daily_digests() == 1
    assert sent() == [(["coordinator@vngoc.test"], "Daily digest: 1 item waits for you in the portal")]


def test_digest_queries_do_not_grow_with_the_items(bodies, coordinators, organizations, commissions, csu_officer):
    cnd = make_session(commissions["cnd"])
    apply(organizations["a"], bodies["vngoc"])
    register(cnd, organizations["b"], status="submitted")
    with CaptureQueriesContext(connection) as one_each:
        assert send_daily_digests(now=dt.datetime(2027, 2, 1, 12, 0, tzinfo=dt.UTC)) == 2

    ccpcj = make_session(commissions["ccpcj"], number=36, start=dt.date(2027, 5, 17))
    apply(organizations["b"], bodies["vngoc"])
    apply(new_organization("third"), bodies["vngoc"])
    register(cnd, organizations["a"], status="awaiting", body=bodies["vngoc"])
    register(ccpcj, organizations["a"], status="submitted")
    propose_side_event(cnd, organizations["a"])
    propose_side_event(ccpcj, organizations["b"])
    with CaptureQueriesContext(connection) as several_each:
        assert send_daily_digests(now=dt.datetime(2027, 2, 2, 12, 0, tzinfo=dt.UTC)) == 2

    assert len(several_each) == len(one_each)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the race needs PostgreSQL's row locks")
def test_concurrent_runs_send_exactly_one_digest_per_person(bodies, coordinators, organizations, csu_officer):
    apply(organizations["a"], bodies["vngoc"])
    apply(organizations["b"], bodies["alliance"])
    new_organization("third")
    barrier = threading.Barrier(2)
    queued = []

    def run():
        try:
            barrier.wait()
            queued.append(send_daily_digests())
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(queued) == 3
    assert len(queued) == 2
    assert [to for to, _ in sent()] == [["coordinator@alliance.test"], ["coordinator@vngoc.test"], ["officer@unodc.test"]]
    assert DigestSent.objects.count() == 3
