"""Reads whose SQL is built once per connection (portal.compiled): the same instances as the queryset's own,
the SQL built on the first read only, and shapes it cannot serve refused at once."""

from datetime import date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from portal.compiled import CompiledRead
from sessions import selectors, services
from sessions.models import Participant, Registration, Session
from tests.test_registration_pages import cnd70, data_of, draft, members, now  # noqa: F401

pytestmark = pytest.mark.django_db

RELATED = ("session", "organization", "umbrella_body", "decided_by")


def values(instance) -> dict:
    return {name: value for name, value in instance.__dict__.items() if name != "_state"} if instance is not None else None


def test_a_compiled_read_gives_the_instances_and_related_objects_the_queryset_gives(draft, csu_officer):  # noqa: F811
    Registration.objects.filter(pk=draft.pk).update(decided_by=csu_officer, reason="Checked")
    orm = Registration.objects.select_related("session__commission", *RELATED[1:]).get(pk=draft.pk)
    compiled = selectors.registration_with_context.first(draft.pk)
    assert (type(compiled), values(compiled)) == (Registration, values(orm))
    assert [values(getattr(compiled, name)) for name in RELATED] == [values(getattr(orm, name)) for name in RELATED]
    assert values(compiled.session.commission) == values(orm.session.commission)
    assert (compiled._state.adding, compiled._state.db, compiled.decided_by.email) == (False, "default", "officer@unodc.test")


def test_a_body_or_decider_that_is_not_there_reads_as_none(cnd70, members, organizations, focal_points):  # noqa: F811
    registration = services.start_registration(cnd70, organizations["b"], by=focal_points["b"], channel="direct")
    compiled = selectors.registration_with_context.first(registration.pk)
    assert (compiled.umbrella_body, compiled.decided_by, compiled.organization.name) == (None, None, organizations["b"].name)


def test_an_id_that_matches_nothing_reads_nothing(draft):  # noqa: F811
    assert (selectors.registration_with_context(draft.pk + 1000), selectors.registration_with_context.first(draft.pk + 1000)) == ([], None)


@pytest.fixture
def built(monkeypatch) -> list:
    """Every compiler whose SQL is built from now on (Django's SQLCompiler.as_sql, counted)."""
    compilers = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *args, **kwargs: compilers.append(self) or as_sql(self, *args, **kwargs))
    return compilers


def test_the_sql_is_built_on_the_first_read_only_and_each_read_is_one_query(draft, organizations, focal_points, built):  # noqa: F811
    other = services.start_registration(draft.session, organizations["b"], by=focal_points["b"], channel="direct")
    built.clear()
    read = CompiledRead(lambda registration_id: Registration.objects.filter(pk=registration_id))
    with CaptureQueriesContext(connection) as first:
        found = read(draft.pk)
    built_first = len(built)
    with CaptureQueriesContext(connection) as second:
        found += read(other.pk)
    assert ([r.pk for r in found], built_first, len(built), len(first), len(second)) == ([draft.pk, other.pk], 1, 1, 1, 1)


def test_annotations_come_as_the_querysets(draft):  # noqa: F811
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked = services._locked_with_window.first(draft.pk)
    # The registration's row alone: a join (for an ordering, say) would lock the session's row for every submission to it.
    assert (len(queries), "JOIN" in queries[0]["sql"], "ORDER BY" in queries[0]["sql"]) == (1, False, False)
    Session.objects.filter(pk=draft.session_id).update(registration_closes=draft.session.registration_opens + timedelta(hours=1))
    with transaction.atomic():
        closed = services._locked_with_window.first(draft.pk)
    assert (locked.window_is_open, closed.window_is_open, closed.status) == (True, False, draft.status)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not connection.features.has_select_for_update, reason="SQLite locks no row: Django ignores select_for_update()")
def test_a_locking_read_outside_a_transaction_is_refused_as_djangos_own(draft):  # noqa: F811
    with transaction.atomic():
        services._locked_with_window(draft.pk)  # the SQL is built: the check is still made afterwards
    with pytest.raises(TransactionManagementError):
        services._locked_with_window(draft.pk)
    with pytest.raises(TransactionManagementError):
        list(Registration.objects.select_for_update().filter(pk=draft.pk))


def test_the_delegation_is_read_in_its_order_with_its_registration(draft, focal_points):  # noqa: F811
    services.save_registration(draft, by=focal_points["a"], participants=[data_of(1, family_name="Second")])
    Participant.objects.filter(registration=draft, family_name="Second").update(position=0)
    Participant.objects.filter(registration=draft).exclude(family_name="Second").update(position=1)
    with CaptureQueriesContext(connection) as queries:
        participants = selectors.participants_of(draft)
        registrations = {participant.registration for participant in participants}
    assert ([p.family_name for p in participants], registrations, len(queries)) == (["Second", data_of(0).family_name], {draft}, 1)
    assert [values(p) for p in participants] == [values(p) for p in draft.participants.all()]


@pytest.mark.parametrize(
    "build",
    [
        lambda registration_id: Registration.objects.filter(pk=registration_id, organization_id=registration_id),
        lambda registration_id: Registration.objects.filter(status="draft"),
        lambda registration_id: Registration.objects.filter(pk=registration_id).values("pk"),
        lambda registration_id: Registration.objects.filter(pk=registration_id).prefetch_related("participants"),
    ],
    ids=["id-twice", "id-unused", "values", "prefetch"],
)
def test_a_shape_it_cannot_serve_is_refused_at_the_first_read(draft, build):  # noqa: F811
    with pytest.raises(ValueError):
        CompiledRead(build)(draft.pk)


def test_a_values_list_read_with_dates_gives_the_querysets_tuples(draft, focal_points):  # noqa: F811
    services.save_registration(draft, by=focal_points["a"], participants=[data_of(1), data_of(2)])
    births = (data_of(0).date_of_birth, data_of(2).date_of_birth)

    def build(registration_id: int, *born):
        return (
            Participant.objects.filter(registration=registration_id, date_of_birth__in=born)
            .values_list("family_name", "date_of_birth", "registration__organization__name", "created_at")
        )

    read = CompiledRead(build, kinds=(int, date, date))
    found = read(draft.pk, *births)
    assert found == list(build(draft.pk, *births))
    assert [(name, born) for name, born, *_rest in found] == [("Delegate0", births[0]), ("Delegate2", births[1])]
    assert read(draft.pk, date(1950, 1, 1), date(1950, 1, 2)) == []


@pytest.mark.parametrize("values", [(True,), (datetime(2026, 1, 1),), ("12",)], ids=["bool", "datetime", "text"])
def test_a_value_of_another_type_than_the_sql_was_built_for_is_refused(draft, values):  # noqa: F811
    read = CompiledRead(lambda born: Participant.objects.filter(date_of_birth=born), kinds=(date,))
    ids = CompiledRead(lambda registration_id: Registration.objects.filter(pk=registration_id))
    with pytest.raises(TypeError):
        (read if isinstance(values[0], datetime) else ids)(*values)


def test_a_changed_setting_has_the_sql_built_again(draft, settings, built):  # noqa: F811
    read = CompiledRead(lambda registration_id: Registration.objects.filter(pk=registration_id).order_by())
    read(draft.pk)
    built.clear()
    read(draft.pk)
    settings.TIME_ZONE = "America/New_York"
    assert ([r.pk for r in read(draft.pk)], len(built)) == ([draft.pk], 1)
