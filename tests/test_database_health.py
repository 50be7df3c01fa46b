"""A kept database connection is checked once it has been idle, and replaced if PostgreSQL ended it (portal/db)."""

import time

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kept_connections():
    """Connections kept between requests with health checks, as production has them; a short idle time."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's backend")
    saved = (connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"])
    connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"] = 60, True
    connection.HEALTH_CHECK_AFTER_IDLE_SECONDS = 0.3
    connection.close()
    yield
    del connection.HEALTH_CHECK_AFTER_IDLE_SECONDS
    connection.settings_dict["CONN_MAX_AGE"], connection.settings_dict["CONN_HEALTH_CHECKS"] = saved
    connection.close()


def request(sql="SELECT pg_backend_pid()"):
    """One request's database work between Django's request_started and request_finished handlers."""
    close_old_connections()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]
    finally:
        close_old_connections()


def end_on_the_server(pid: int) -> None:
    url = connection.settings_dict
    with psycopg.connect(host=url["HOST"], port=url["PORT"], user=url["USER"], dbname="postgres", autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_connection_idle_and_ended_by_the_server_is_replaced_without_an_error(kept_connections):
    first = request()
    time.sleep(0.4)  # idle for longer than the check's threshold
    end_on_the_server(first)

    second = request()

    assert second != first


def test_connection_in_use_is_kept_without_a_check_and_one_ended_meanwhile_fails_once(kept_connections):
    first = request()
    assert request() == first  # the same connection, taken without a check

    end_on_the_server(first)
    with pytest.raises(OperationalError):
        request()  # within the threshold: not checked, as without health checks; the error closes it

    assert request() != first
