"""CSU's review queue at UNODC scale (issue 10): the filter fields' HTML kept in the cache under a key made of
what they show, the rows' texts worked out once per page, and only the shown columns read."""

import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions.enums import RegistrationStatus
from tests.test_review_pages import QUEUE, make_organization, make_registration, now, queue, queue_rows, session, sign_in  # noqa: F401
from umbrella.models import UmbrellaBody

pytestmark = pytest.mark.django_db

FIELDS = "portal/_filter_fields.html"


def rendered(response) -> list[str]:
    return [template.name for template in response.templates]


def options(response, name: str) -> list[tuple[str, str, bool]]:
    """(value, text, selected) of each option of the filter's select list."""
    select = re.search(rf'<select name="{name}".*?</select>', response.content.decode(), re.S).group(0)
    return [
        (value, text.strip(), bool(selected))
        for value, selected, text in re.findall(r'<option value="([^"]*)"( selected)?>(.*?)</option>', select, re.S)
    ]


def test_review_queue_filter_fields_come_from_the_cache_on_the_second_visit(client, queue, csu_officer):  # noqa: F811
    sign_in(client, csu_officer)
    first = client.get(QUEUE)

    second = client.get(QUEUE)

    assert FIELDS in rendered(first)
    assert FIELDS not in rendered(second)
    fields = re.compile(r'<div class="directory-filter-grid">.*?</div>\s*<div class="button-row">', re.S)
    assert fields.search(second.content.decode()).group(0) == fields.search(first.content.decode()).group(0)
    assert options(second, "status") == [
        ("", "Any status", True),
        ("submitted", "Submitted to the Civil Society Unit", False),
        ("awaiting", "Awaiting endorsement by the umbrella body", False),
        ("endorsed", "Endorsed by the umbrella body", False),
        ("declined", "Declined by the umbrella body", False),
        ("approved", "Approved", False),
        ("rejected", "Rejected", False),
        ("returned", "Returned for changes", False),
        ("withdrawn", "Withdrawn", False),
    ]


def test_review_queue_filter_fields_keep_each_visits_chosen_values(client, queue, csu_officer):  # noqa: F811
    sign_in(client, csu_officer)
    client.get(QUEUE)

    chosen = client.get(QUEUE, {"status": "submitted", "country": "IN"})
    plain = client.get(QUEUE)

    assert [option for option in options(chosen, "status") if option[2]] == [("submitted", "Submitted to the Civil Society Unit", True)]
    assert options(chosen, "country") == [("", "Any country", False), ("BR", "Brazil", False), ("IN", "India", True), ("KE", "Kenya", False)]
    assert options(plain, "country") == [("", "Any country", True), ("BR", "Brazil", False), ("IN", "India", False), ("KE", "Kenya", False)]


def test_review_queue_filter_fields_follow_umbrella_bodies_and_new_countries(client, queue, session, csu_officer, bodies):  # noqa: F811
    sign_in(client, csu_officer)
    before = client.get(QUEUE)
    body = UmbrellaBody.objects.create(name="Asia Harm Reduction Forum", acronym="", slug="ahrf")
    body.commissions.add(session.commission)
    bodies["vngoc"].acronym = "VNGO Committee"
    bodies["vngoc"].save()
    make_registration(session, make_organization("Collectif Prison Dignité", "CPD", "cpd", "FR"))

    after = client.get(QUEUE)

    assert [text for _value, text, _selected in options(before, "umbrella_body")] == ["Any umbrella body", "VNGOC"]
    assert [text for _value, text, _selected in options(after, "umbrella_body")] == ["Any umbrella body", "Asia Harm Reduction Forum", "VNGO Committee"]
    assert [value for value, _text, _selected in options(after, "country")] == ["", "BR", "FR", "IN", "KE"]


def test_review_queue_filter_fields_in_each_language(client, queue, csu_officer):  # noqa: F811
    sign_in(client, csu_officer)
    english = client.get(QUEUE)

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    french = client.get(QUEUE)

    assert options(english, "status")[0] == ("", "Any status", True)
    assert options(french, "status")[0] == ("", "Tous les statuts", True)
    assert FIELDS in rendered(french)


def test_review_queue_with_an_invalid_filter_shows_its_error_from_the_cache_too(client, queue, csu_officer):  # noqa: F811
    sign_in(client, csu_officer)
    first = client.get(QUEUE, {"status": "nonsense"})

    second = client.get(QUEUE, {"status": "nonsense"})

    assert FIELDS not in rendered(second)
    error = re.compile(r'<ul class="field-errors" id="id_status_error">.*?</ul>', re.S)
    assert error.search(second.content.decode()).group(0) == error.search(first.content.decode()).group(0)


def _queue_queries(client) -> list[str]:
    cache.clear()  # the queue's content is kept (sessions.caching): these are the queries that render it
    with CaptureQueriesContext(connection) as queries:
        client.get(QUEUE)
    return [query["sql"] for query in queries.captured_queries]


def test_review_queue_reads_only_the_shown_columns_and_as_many_queries_at_one_and_many_rows(client, now, session, csu_officer, organizations):
    sign_in(client, csu_officer)
    make_registration(session, organizations["a"], RegistrationStatus.SUBMITTED)
    client.get(QUEUE)
    one = _queue_queries(client)
    for index in range(60):
        make_registration(session, make_organization(f"Organization {index}", f"O{index}", f"o-{index}", "BR"))
    client.get(QUEUE)

    many = _queue_queries(client)

    assert len(many) == len(one)
    rows = next(sql for sql in many if 'FROM "commission_sessions_registration"' in sql and "LIMIT 50" in sql)
    assert '"organizations_organization"."description"' not in rows
    assert '"commission_sessions_registration"."reason"' not in rows
    assert "portal_user" not in rows
    assert len(queue_rows(client.get(QUEUE))) == 50
