"""A few rows are inserted with VALUES, a batch with UNNEST (portal/db/compiler.py), and both store the same values."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.db.compiler import VALUES_UP_TO
from portal.models import ActivityLog

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's compilers")
@pytest.mark.parametrize(("rows", "form"), [(2, "VALUES"), (VALUES_UP_TO, "VALUES"), (VALUES_UP_TO + 1, "UNNEST")])
def test_a_few_rows_go_as_values_and_a_batch_through_unnest(rows, form, focal_points):
    entries = [
        ActivityLog(actor=focal_points["a"], action="test.inserted", object_id=str(number), object_repr=f"Row {number}",
                    old_values={}, new_values={"number": number, "names": ["Ana María", "O'Brien"]}, note="")
        for number in range(rows)
    ]
    with CaptureQueriesContext(connection) as queries:
        created = ActivityLog.objects.bulk_create(entries)
    stored = list(ActivityLog.objects.filter(action="test.inserted").order_by("pk").values_list("pk", "object_id", "new_values"))
    assert (len(queries), form in queries[0]["sql"]) == (1, True)
    assert stored == [(entry.pk, str(number), {"number": number, "names": ["Ana María", "O'Brien"]}) for number, entry in enumerate(created)]
