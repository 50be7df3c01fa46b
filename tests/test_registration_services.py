"""Delegation registration services: admission, the window, the quota, duplicates, decisions, purge.

The registration window is checked against the database's clock, so sessions here open
and close around the real time; nothing waits.
"""

import datetime as dt
import os
import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import close_old_connections, connection
from django.utils import timezone

from organizations.models import OrganizationMember
from portal.models import ActivityLog
from sessions import services
from sessions.enums import Channel, ParticipantStatus, RegistrationStatus, Rule17Outcome
from sessions.models import Participant, Registration, Session
from sessions.services import ParticipantData
from tests.conftest import make_user
from umbrella.models import Coordinator, MembershipCategory, UmbrellaMembership

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sent() -> list[tuple[list[str], str]]:
    return [(message.to, message.subject) for message in mail.outbox]


def actions(registration) -> list[str]:
    content_type = ContentType.objects.get_for_model(Registration)
    return list(
        ActivityLog.objects.filter(content_type=content_type, object_id=str(registration.pk)).order_by("id").values_list("action", flat=True)
    )


def open_session(commission, number=70, *, closes_in=dt.timedelta(days=10), quota=10, end=None) -> Session:
    now = timezone.now()
    start = (now + dt.timedelta(days=60)).date() if end is None else end - dt.timedelta(days=4)
    return Session.objects.create(
        commission=commission, number=number, title=f"{number}th session of the {commission.name}",
        start_date=start, end_date=end or start + dt.timedelta(days=4), venue="Vienna International Centre",
        registration_opens=now - dt.timedelta(days=10), registration_closes=now + closes_in, quota_per_organization=quota,
    )


def person(number: int = 1, **changes) -> ParticipantData:
    data = {
        "family_name": f"Mwangi{number}", "given_names": "Grace Wanjiru", "gender": "female", "nationality": "KE",
        "date_of_birth": dt.date(1985, 4, number % 28 + 1), "passport_number": f"AK{number:06d}",
        "passport_expiry": dt.date(2035, 1, 1), "email": f"grace{number}@hra.example", "role": "representative",
        "attendance": "in_person",
    }
    return ParticipantData(**{**data, **changes})


@pytest.fixture
def ecosoc_organizations(organizations):
    for organization in organizations.values():
        organization.ecosoc_status = "special"
        organization.save(update_fields=["ecosoc_status"])
    return organizations


@pytest.fixture
def cnd(commissions):
    return open_session(commissions["cnd"])


def draft(session, organization, by, people=1, **channel) -> Registration:
    registration = services.start_registration(session, organization, by=by, channel=channel.pop("channel", Channel.DIRECT), **channel)
    services.save_registration(
        registration, by=by, letter=ContentFile(PDF, name="letter.pdf"), participants=[person(n) for n in range(1, people + 1)]
    )
    return Registration.objects.get(pk=registration.pk)


def test_direct_registration_needs_ecosoc_status_at_cnd_and_the_umbrella_route_needs_active_membership(
    organizations, focal_points, cnd, bodies
):
    with pytest.raises(ValidationError) as refused:
        services.start_registration(cnd, organizations["a"], by=focal_points["a"], channel=Channel.DIRECT)
    assert refused.value.message_dict == {
        "channel": [
            "CND admits NGOs in consultative status with ECOSOC directly. Without it, Harm Reduction Alliance (HRA) "
            "registers through an umbrella body of which it is a member."
        ]
    }
    with pytest.raises(ValidationError) as not_member:
        services.start_registration(cnd, organizations["a"], by=focal_points["a"], channel=Channel.UMBRELLA, umbrella_body=bodies["vngoc"])
    assert list(not_member.value.message_dict) == ["umbrella_body"]

    category = MembershipCategory.objects.create(body=bodies["vngoc"], name="Associate member")
    UmbrellaMembership.objects.create(organization=organizations["a"], body=bodies["vngoc"], category=category, status="active")
    registration = services.start_registration(
        cnd, organizations["a"], by=focal_points["a"], channel=Channel.UMBRELLA, umbrella_body=bodies["vngoc"]
    )
    assert (registration.status, registration.channel, registration.umbrella_body) == ("draft", "umbrella", bodies["vngoc"])
    assert Registration.objects.count() == 1


def test_only_the_organizations_focal_points_register_it(ecosoc_organizations, focal_points, cnd, outsider, csu_officer):
    for stranger in (focal_points["b"], outsider, csu_officer):
        with pytest.raises(PermissionDenied):
            services.start_registration(cnd, ecosoc_organizations["a"], by=stranger, channel=Channel.DIRECT)
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"])
    with pytest.raises(PermissionDenied):
        services.save_registration(registration, by=focal_points["b"], participants=[person(9)])
    with pytest.raises(PermissionDenied):
        services.submit_registration(registration, by=focal_points["b"])


def test_a_second_live_registration_for_the_same_session_is_refused(ecosoc_organizations, focal_points, cnd):
    draft(cnd, ecosoc_organizations["a"], focal_points["a"])
    with pytest.raises(ValidationError) as refused:
        services.start_registration(cnd, ecosoc_organizations["a"], by=focal_points["a"], channel=Channel.DIRECT)
    assert refused.value.message_dict == {
        "organization": [f"Harm Reduction Alliance (HRA) already has a registration for {cnd.title}: Draft."]
    }


def test_submit_direct_goes_to_csu_and_tells_the_focal_points(ecosoc_organizations, focal_points, cnd):
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"], people=3)
    mail.outbox.clear()

    services.submit_registration(registration, by=focal_points["a"])

    registration.refresh_from_db()
    assert (registration.status, registration.rule17_outcome) == ("submitted", "")
    assert actions(registration) == ["sessions.registration.started", "sessions.registration.saved", "sessions.registration.submitted"]
    assert sent() == [([focal_points["a"].email], f"HRA: registration for the {cnd.title} submitted")]
    # Personal data never goes into the log.
    logged = " ".join(str(entry.new_values) + str(entry.old_values) for entry in ActivityLog.objects.all())
    assert "AK000001" not in logged and "1985" not in logged


def test_submission_after_the_deadline_is_refused_by_the_database_clock(ecosoc_organizations, focal_points, commissions):
    session = open_session(commissions["cnd"], closes_in=dt.timedelta(seconds=2))
    registration = draft(session, ecosoc_organizations["a"], focal_points["a"])
    Session.objects.filter(pk=session.pk).update(registration_closes=timezone.now() - dt.timedelta(minutes=1))
    session.refresh_from_db()

    with pytest.raises(ValidationError) as refused:
        services.submit_registration(registration, by=focal_points["a"])

    closes = timezone.localtime(session.registration_closes, session.tz)
    assert refused.value.messages == [
        f"Registration for {session.title} closed on {closes:%-d %B %Y, %H:%M}, Vienna time. Nothing was submitted."
    ]
    assert Registration.objects.get().status == "draft"


def as_a_page_reads_it(registration) -> Registration:
    return Registration.objects.select_related("session__commission", "organization", "umbrella_body").get(pk=registration.pk)


def test_a_deadline_moved_after_the_page_read_the_session_is_the_one_the_submission_checks(
    ecosoc_organizations, focal_points, cnd
):
    registration = as_a_page_reads_it(draft(cnd, ecosoc_organizations["a"], focal_points["a"]))
    Session.objects.filter(pk=cnd.pk).update(registration_closes=timezone.now() - dt.timedelta(minutes=1))

    with pytest.raises(ValidationError) as refused:
        services.submit_registration(registration, by=focal_points["a"])

    assert refused.value.messages[0].startswith(f"Registration for {cnd.title} closed on ")
    assert Registration.objects.get().status == "draft"


def test_a_registration_moved_to_another_organization_after_the_page_read_it_is_submitted_as_the_locked_row_says(
    ecosoc_organizations, focal_points, cnd
):
    registration = as_a_page_reads_it(draft(cnd, ecosoc_organizations["a"], focal_points["a"]))
    mail.outbox.clear()
    # As a merge of the two organizations moves it, between the page's read and the submission's lock.
    Registration.objects.filter(pk=registration.pk).update(organization=ecosoc_organizations["b"])

    submitted = services.submit_registration(registration, by=focal_points["a"])

    assert (submitted.organization, Registration.objects.get().status) == (ecosoc_organizations["b"], "submitted")
    assert sent() == [([focal_points["b"].email], f"PRN: registration for the {cnd.title} submitted")]


def test_the_quota_refuses_an_eleventh_participant_and_changes_nothing(ecosoc_organizations, focal_points, cnd):
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"], people=10)

    with pytest.raises(ValidationError) as refused:
        services.save_registration(registration, by=focal_points["a"], participants=[person(11)])

    assert refused.value.messages == [
        f"A delegation to {cnd.title} can have at most 10 representatives; this one would have 11. Remove one first."
    ]
    assert Participant.objects.count() == 10


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL")
def test_concurrent_saves_never_exceed_the_quota(ecosoc_organizations, focal_points, cnd):
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"], people=0)
    colleague = make_user("colleague@hra.test", full_name="Colleague")
    OrganizationMember.objects.create(organization=ecosoc_organizations["a"], user=colleague)
    barrier = threading.Barrier(2)
    outcomes = {}

    def add_six(user, first):
        try:
            barrier.wait()
            services.save_registration(registration, by=user, participants=[person(n) for n in range(first, first + 6)])
            outcomes[user.email] = "saved"
        except ValidationError as error:
            outcomes[user.email] = error.messages[0]
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=add_six, args=(focal_points["a"], 1)),
        threading.Thread(target=add_six, args=(colleague, 20)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == sorted(
        ["saved", f"A delegation to {cnd.title} can have at most 10 representatives; this one would have 12. Remove one first."]
    )
    assert Participant.objects.filter(registration=registration).count() == 6


def test_a_passport_expiring_before_the_session_ends_is_refused(ecosoc_organizations, focal_points, cnd):
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"], people=0)

    with pytest.raises(ValidationError) as refused:
        services.save_registration(registration, by=focal_points["a"], participants=[person(1, passport_expiry=cnd.end_date)])

    assert refused.value.message_dict == {
        "participant-0-passport_expiry": [f"The passport or ID must be valid after the session ends on {cnd.end_date:%-d %B %Y}."]
    }
    assert Participant.objects.count() == 0


def after_hras_delegation(cnd, organizations, focal_points, someone: ParticipantData) -> Registration:
    """HRA's delegation submitted; PRN's draft with `someone` and a letter, ready to submit; no e-mail yet."""
    services.submit_registration(draft(cnd, organizations["a"], focal_points["a"]), by=focal_points["a"])
    second = services.start_registration(cnd, organizations["b"], by=focal_points["b"], channel=Channel.DIRECT)
    services.save_registration(second, by=focal_points["b"], letter=ContentFile(PDF, name="l.pdf"), participants=[someone])
    mail.outbox.clear()
    return second


def test_the_same_person_in_two_organizations_is_refused_and_csu_is_warned(ecosoc_organizations, focal_points, cnd, csu_officer):
    # The same person, typed with other accents and case.
    someone = person(1, family_name="MWANGI1", given_names="Gráce  wanjiru", email="other@prn.example")
    second = after_hras_delegation(cnd, ecosoc_organizations, focal_points, someone)

    with pytest.raises(ValidationError) as refused:
        services.submit_registration(second, by=focal_points["b"])

    assert refused.value.messages == [
        "MWANGI1, Gráce  wanjiru is already registered for this session by another organization. A person can be in one "
        "delegation only; the Civil Society Unit has been told and will contact you."
    ]
    assert Registration.objects.get(pk=second.pk).status == "draft"
    assert sent() == [([csu_officer.email], f"PRN tried to register people already in another delegation to the {cnd.title}")]
    assert actions(second)[-1] == "sessions.registration.duplicate_person"


def test_the_same_name_and_birthday_of_another_nationality_is_another_person(ecosoc_organizations, focal_points, cnd, csu_officer):
    someone = person(1, nationality="UG", email="other@prn.example")  # the same name and birthday
    second = after_hras_delegation(cnd, ecosoc_organizations, focal_points, someone)

    services.submit_registration(second, by=focal_points["b"])

    assert (Registration.objects.get(pk=second.pk).status, services.duplicates_in_session(second)) == ("submitted", [])
    assert [subject for _to, subject in sent()] == [f"PRN: registration for the {cnd.title} submitted"]


def test_umbrella_route_endorse_then_approve_with_one_participant_rejected(organizations, focal_points, cnd, bodies, coordinators, csu_officer):
    category = MembershipCategory.objects.create(body=bodies["vngoc"], name="Associate member")
    UmbrellaMembership.objects.create(organization=organizations["a"], body=bodies["vngoc"], category=category, status="active")
    registration = draft(cnd, organizations["a"], focal_points["a"], people=3, channel=Channel.UMBRELLA, umbrella_body=bodies["vngoc"])
    mail.outbox.clear()
    services.submit_registration(registration, by=focal_points["a"])
    assert Registration.objects.get().status == "awaiting"
    assert sent()[-1] == ([coordinators["vngoc"].email], f"HRA asks VNGOC to endorse its delegation to the {cnd.title}")

    with pytest.raises(PermissionDenied):
        services.endorse_registration(registration, by=coordinators["alliance"])
    with pytest.raises(ValidationError):  # CSU decides only after the body
        services.approve_registration(registration, by=csu_officer)
    services.endorse_registration(registration, by=coordinators["vngoc"])
    mail.outbox.clear()
    third = Participant.objects.get(family_name="Mwangi3")
    services.approve_registration(registration, by=csu_officer, rejected={third.pk: "Not a staff member of the organization."})

    assert Registration.objects.get().status == "approved"
    assert list(Participant.objects.order_by("position").values_list("status", flat=True)) == ["approved", "approved", "rejected"]
    assert sent() == [
        ([focal_points["a"].email], f"HRA: registration for the {cnd.title} approved"),
        (["grace1@hra.example"], f"Your registration for the {cnd.title} is confirmed"),
        (["grace2@hra.example"], f"Your registration for the {cnd.title} is confirmed"),
    ]
    assert "MWANGI3, Grace Wanjiru: Rejected (Not a staff member of the organization.)" in mail.outbox[0].body
    assert actions(registration)[-3:] == ["sessions.registration.submitted", "sessions.registration.endorsed", "sessions.registration.approved"]


def test_a_coordinator_who_is_a_focal_point_cannot_endorse_their_own_organization(organizations, focal_points, cnd, bodies, coordinators):
    category = MembershipCategory.objects.create(body=bodies["vngoc"], name="Associate member")
    UmbrellaMembership.objects.create(organization=organizations["a"], body=bodies["vngoc"], category=category, status="active")
    OrganizationMember.objects.create(organization=organizations["a"], user=coordinators["vngoc"])
    registration = draft(cnd, organizations["a"], focal_points["a"], channel=Channel.UMBRELLA, umbrella_body=bodies["vngoc"])
    services.submit_registration(registration, by=focal_points["a"])

    with pytest.raises(PermissionDenied):
        services.endorse_registration(registration, by=coordinators["vngoc"])
    assert Registration.objects.get().status == "awaiting"


def test_csu_rejects_and_returns_with_a_reason_and_a_returned_one_can_be_resubmitted(ecosoc_organizations, focal_points, cnd, csu_officer):
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"])
    services.submit_registration(registration, by=focal_points["a"])
    with pytest.raises(ValidationError) as no_reason:
        services.return_registration(registration, by=csu_officer, reason=" ")
    assert no_reason.value.message_dict == {"reason": ["Give a reason: it is e-mailed to the organization's focal points."]}

    services.return_registration(registration, by=csu_officer, reason="The letter is not signed.")
    services.save_registration(registration, by=focal_points["a"], letter=ContentFile(PDF, name="signed.pdf"))
    services.submit_registration(registration, by=focal_points["a"])
    services.reject_registration(registration, by=csu_officer, reason="The organization is not active in drug policy.")

    statuses = [entry.new_values["status"] for entry in ActivityLog.objects.filter(action__startswith="sessions.registration.").order_by("id") if "status" in entry.new_values]
    assert statuses == ["draft", "submitted", "returned", "submitted", "rejected"]
    assert list(Participant.objects.values_list("status", flat=True)) == ["rejected"]


def test_a_second_decision_on_a_decided_registration_is_refused_with_who_decided(ecosoc_organizations, focal_points, cnd, csu_officer):
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"])
    services.submit_registration(registration, by=focal_points["a"])
    services.approve_registration(registration, by=csu_officer)

    with pytest.raises(ValidationError) as refused:
        services.reject_registration(registration, by=csu_officer, reason="Too late.")

    assert refused.value.messages[0].startswith("Clara Officer already decided on ")
    assert refused.value.messages[0].endswith(". The registration's status is now: Approved. Nothing else was changed.")


def test_changing_an_approved_registration_sends_it_back_to_csu(ecosoc_organizations, focal_points, cnd, csu_officer):
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"])
    services.submit_registration(registration, by=focal_points["a"])
    services.approve_registration(registration, by=csu_officer)

    services.save_registration(registration, by=focal_points["a"], participants=[person(2)])

    registration.refresh_from_db()
    assert (registration.status, registration.changed_after_approval) == ("submitted", True)
    assert list(Participant.objects.order_by("position").values_list("status", flat=True)) == ["approved", "pending"]


def test_rule_17_list_needs_the_states_answer_before_approval(organizations, focal_points, commissions, csu_officer):
    session = open_session(commissions["cosp"], number=11)
    registration = draft(session, organizations["a"], focal_points["a"])
    services.submit_registration(registration, by=focal_points["a"])
    assert Registration.objects.get().rule17_outcome == Rule17Outcome.PENDING

    outcome = services.approve_registrations([registration], by=csu_officer)
    assert [message for _registration, message in outcome.refused] == [
        "Harm Reduction Alliance (HRA) is on the rule 17 list: record the States' answer before deciding."
    ]
    services.record_rule17_outcome(registration, by=csu_officer, outcome=Rule17Outcome.NO_OBJECTION)
    outcome = services.approve_registrations([registration], by=csu_officer)
    assert (len(outcome.approved), Registration.objects.get().status) == (1, "approved")


def test_withdraw_before_a_decision_only(ecosoc_organizations, focal_points, cnd, csu_officer):
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"])
    services.submit_registration(registration, by=focal_points["a"])
    services.withdraw_registration(registration, by=focal_points["a"])
    assert Registration.objects.get().status == "withdrawn"
    # A withdrawn registration frees the place: the organization can register again.
    again = services.start_registration(cnd, ecosoc_organizations["a"], by=focal_points["a"], channel=Channel.DIRECT)
    assert again.status == "draft"


def test_expire_drafts_after_the_window_and_tell_the_focal_points(ecosoc_organizations, focal_points, cnd):
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"])
    Session.objects.filter(pk=cnd.pk).update(registration_closes=timezone.now() - dt.timedelta(hours=1))
    mail.outbox.clear()

    assert services.expire_drafts() == 1
    assert services.expire_drafts() == 0

    assert Registration.objects.get(pk=registration.pk).status == RegistrationStatus.EXPIRED
    assert sent() == [([focal_points["a"].email], f"HRA: unsubmitted registration for the {cnd.title} expired")]


def test_purge_removes_personal_data_and_files_after_the_retention_period(ecosoc_organizations, focal_points, cnd, settings):
    registration = draft(cnd, ecosoc_organizations["a"], focal_points["a"], people=2)
    participant = Participant.objects.first()
    participant.photo.save("p.png", ContentFile(b"\x89PNG fake"), save=True)
    photo_path, letter_path = participant.photo.path, registration.accreditation_letter.path
    settings.PERSONAL_DATA_RETENTION_DAYS = 90

    assert services.purge_personal_data(now=timezone.now()).registrations == 0  # the session has not even happened
    later = timezone.make_aware(dt.datetime.combine(cnd.end_date + dt.timedelta(days=91), dt.time(12)))
    outcome = services.purge_personal_data(now=later)

    assert (outcome.registrations, outcome.participants, outcome.files) == (1, 2, 2)
    assert list(Participant.objects.values_list("passport_number", "date_of_birth", "passport_expiry", "photo")) == [("", None, None, "")] * 2
    registration.refresh_from_db()
    assert (registration.accreditation_letter.name, registration.personal_data_purged_at) == ("", later)
    assert not os.path.exists(photo_path) and not os.path.exists(letter_path)
    assert services.purge_personal_data(now=later).registrations == 0
    # What CSU reports on stays: names, nationality, organization.
    assert list(Participant.objects.values_list("family_name", flat=True).order_by("position")) == ["Mwangi1", "Mwangi2"]
