"""Saving and submitting a delegation in one step: what it keeps when the submission is refused, the order of
the duplicate check's findings, and the e-mails written for several people at once.

The query count of the whole request (form, save and submission) is asserted in test_query_counts.py.
"""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from portal.enums import NotificationStatus
from portal.models import Notification
from portal.services import notify, notify_all
from sessions import services
from sessions.enums import Channel, RegistrationStatus
from sessions.models import Registration
from tests.test_registration_services import PDF, actions, cnd, ecosoc_organizations, person, sent  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def letter() -> ContentFile:
    return ContentFile(PDF, name="letter.pdf")


def submitted(session, organization, by, people: list) -> Registration:
    registration = services.start_registration(session, organization, by=by, channel=Channel.DIRECT)
    return services.save_and_submit_registration(registration, by=by, letter=letter(), participants=people)


def test_save_and_submit_saves_then_submits_and_tells_the_focal_point(ecosoc_organizations, focal_points, cnd):
    registration = services.start_registration(cnd, ecosoc_organizations["a"], by=focal_points["a"], channel=Channel.DIRECT)

    result = services.save_and_submit_registration(
        registration, by=focal_points["a"], letter=letter(), participants=[person(1), person(2), person(3)]
    )

    stored = Registration.objects.get(pk=registration.pk)
    assert (result.status, stored.status) == (RegistrationStatus.SUBMITTED, RegistrationStatus.SUBMITTED)
    assert list(stored.participants.values_list("family_name", "position")) == [("Mwangi1", 0), ("Mwangi2", 1), ("Mwangi3", 2)]
    assert bool(stored.accreditation_letter) is True
    assert actions(registration) == [
        "sessions.registration.started", "sessions.registration.saved", "sessions.registration.submitted",
    ]
    assert sent() == [([focal_points["a"].email], f"HRA: registration for the {cnd.title} submitted")]


def test_save_and_submit_refused_for_a_duplicate_keeps_the_save_and_warns_csu(ecosoc_organizations, focal_points, cnd, csu_officer):
    submitted(cnd, ecosoc_organizations["a"], focal_points["a"], [person(1)])
    second = services.start_registration(cnd, ecosoc_organizations["b"], by=focal_points["b"], channel=Channel.DIRECT)
    mail.outbox.clear()

    with pytest.raises(services.SubmissionRefused) as refused:
        services.save_and_submit_registration(
            second, by=focal_points["b"], letter=letter(),
            participants=[person(5), person(1, family_name="MWANGI1", given_names="Gráce  wanjiru", email="other@prn.example")],
        )

    assert refused.value.messages == [
        "MWANGI1, Gráce  wanjiru is already registered for this session by another organization. A person can be in one "
        "delegation only; the Civil Society Unit has been told and will contact you."
    ]
    stored = Registration.objects.get(pk=second.pk)
    assert stored.status == RegistrationStatus.DRAFT
    assert list(stored.participants.values_list("family_name", flat=True)) == ["Mwangi5", "MWANGI1"]
    assert actions(second) == [
        "sessions.registration.started", "sessions.registration.saved", "sessions.registration.duplicate_person",
    ]
    assert sent() == [([csu_officer.email], f"PRN tried to register people already in another delegation to the {cnd.title}")]


def test_save_and_submit_refused_by_the_save_changes_nothing(ecosoc_organizations, focal_points, cnd):
    registration = services.start_registration(cnd, ecosoc_organizations["a"], by=focal_points["a"], channel=Channel.DIRECT)

    with pytest.raises(ValidationError) as refused:
        services.save_and_submit_registration(
            registration, by=focal_points["a"], letter=letter(), participants=[person(1), person(2, passport_expiry=cnd.end_date)]
        )

    assert not isinstance(refused.value, services.SubmissionRefused)
    assert refused.value.message_dict == {
        "participant-1-passport_expiry": [f"The passport or ID must be valid after the session ends on {cnd.end_date:%-d %B %Y}."]
    }
    stored = Registration.objects.get(pk=registration.pk)
    assert (stored.status, stored.participants.count(), bool(stored.accreditation_letter)) == (RegistrationStatus.DRAFT, 0, False)
    assert actions(registration) == ["sessions.registration.started"]


def test_duplicates_are_listed_in_the_order_of_the_other_delegation(ecosoc_organizations, focal_points, cnd):
    first = submitted(cnd, ecosoc_organizations["a"], focal_points["a"], [person(1), person(2), person(3)])
    second = services.start_registration(cnd, ecosoc_organizations["b"], by=focal_points["b"], channel=Channel.DIRECT)
    # Typed in another order than the first delegation lists them, with a person of the same birth and nationality.
    services.save_registration(
        second, by=focal_points["b"], letter=letter(),
        participants=[person(3), person(1, given_names="Someone Else"), person(2), person(1)],
    )
    ours = list(second.participants.all())

    pairs = services.duplicates_in_session(second, ours=ours)

    theirs = {participant.pk: participant.family_name for participant in first.participants.all()}
    assert [(mine.family_name, mine.given_names, theirs[other.participant_id]) for mine, other in pairs] == [
        ("Mwangi1", "Grace Wanjiru", "Mwangi1"), ("Mwangi2", "Grace Wanjiru", "Mwangi2"), ("Mwangi3", "Grace Wanjiru", "Mwangi3"),
    ]
    assert {(other.registration_id, other.organization_id, other.organization_name) for _mine, other in pairs} == {
        (first.pk, ecosoc_organizations["a"].pk, "Harm Reduction Alliance")
    }


def test_notify_all_writes_what_notify_writes_one_row_each_and_sends_after_commit(focal_points):
    people = [focal_points["a"], focal_points["b"]]
    focal_points["b"].language = "fr"
    focal_points["b"].save(update_fields=["language"])
    fields = ("recipient_id", "to_email", "kind", "language", "subject", "body_text", "body_html")
    one_by_one = [notify(person, "welcome") for person in people]
    expected = list(Notification.objects.filter(pk__in=[n.pk for n in one_by_one]).order_by("pk").values_list(*fields))
    Notification.objects.all().delete()
    mail.outbox.clear()

    with transaction.atomic():
        written = notify_all(people, "welcome")
        assert (mail.outbox, Notification.objects.filter(status=NotificationStatus.PENDING).count()) == ([], 2)

    assert list(Notification.objects.order_by("pk").values_list(*fields)) == expected
    assert [notification.pk for notification in written] == list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    assert [row[3] for row in expected] == ["en", "fr"]
    assert list(Notification.objects.order_by("pk").values_list("status", flat=True)) == [NotificationStatus.SENT] * 2
    assert [message.to for message in mail.outbox] == [[focal_points["a"].email], [focal_points["b"].email]]


def rendered_templates(call) -> list[str]:
    """The templates `call()` rendered, in order (Django's test instrumentation sends template_rendered)."""
    from django.test.signals import template_rendered

    names = []

    def record(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(record)
    try:
        call()
    finally:
        template_rendered.disconnect(record)
    return names


def test_notify_all_renders_an_e_mail_that_does_not_name_its_recipient_once_for_each_language(organizations, focal_points, outsider):
    from organizations.models import JoinRequest

    join_request = JoinRequest.objects.create(organization=organizations["a"], user=outsider, message="I run the Nairobi office.")
    focal_points["b"].language = "fr"
    focal_points["b"].save(update_fields=["language"])
    people = [focal_points["a"], outsider, focal_points["b"]]
    context = {"organization": organizations["a"], "join_request": join_request}

    names = rendered_templates(lambda: notify_all(people, "organizations/join_requested", context))

    subjects = [name for name in names if name.endswith("subject.txt")]
    assert subjects == ["emails/organizations/join_requested/subject.txt"] * 2  # English once, French once
    rows = list(Notification.objects.order_by("pk").values_list("to_email", "language", "subject", "body_text"))
    assert [row[:3] for row in rows] == [
        (focal_points["a"].email, "en", "Olga Outsider asks to join Harm Reduction Alliance (HRA)"),
        (outsider.email, "en", "Olga Outsider asks to join Harm Reduction Alliance (HRA)"),
        (focal_points["b"].email, "fr", "Olga Outsider demande à rejoindre Harm Reduction Alliance (HRA)"),
    ]
    assert rows[0][3] == rows[1][3] != rows[2][3]


def test_notify_all_renders_an_e_mail_naming_its_recipient_for_each_person(focal_points, outsider):
    people = [focal_points["a"], outsider]

    names = rendered_templates(lambda: notify_all(people, "welcome"))

    assert [name for name in names if name.endswith("subject.txt")] == ["emails/welcome/subject.txt"] * 2
    bodies = list(Notification.objects.order_by("pk").values_list("to_email", "body_text"))
    assert [(to_email, f"your e-mail address {to_email} is confirmed" in body) for to_email, body in bodies] == [
        (focal_points["a"].email, True), (outsider.email, True)
    ]


def test_participant_rows_share_their_choices_but_not_their_widgets(cnd):
    """Django deep-copies a choice field's choices for every form; the participant's rows share them (their
    widgets, changed per form, stay each form's own)."""
    from sessions.forms.registration import ParticipantForm

    first, second = (ParticipantForm(session=cnd, prefix=f"participant-{n}") for n in range(2))
    first.fields["date_of_birth"].widget.attrs["max"] = "2000-01-01"
    shared = [first.fields[name]._choices is second.fields[name]._choices for name in ("gender", "role", "attendance", "nationality")]
    assert (shared, second.fields["date_of_birth"].widget.attrs["max"] != "2000-01-01") == ([True] * 4, True)
    assert [value for value, _label in second.fields["gender"].choices] == ["", "female", "male", "other"]
