"""Django's PostgreSQL backend, checking a persistent connection's health only once it has been idle.

With CONN_HEALTH_CHECKS, Django asks PostgreSQL "SELECT 1" before the first query of every request
on a connection kept from an earlier one: on a busy server, a tenth of a signed-in page's time. A
connection that answered a request less than HEALTH_CHECK_AFTER_IDLE_SECONDS ago is taken as it is;
one idle for longer (across a database restart, a failover, a server closing idle connections: each
takes longer than that) is checked and replaced if it is gone, as Django does. A connection ended
within that second fails its next request, which closes it (Django's `errors_occurred`), as it would
without health checks.
"""

import time

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    compiler_module = "portal.db.compiler"  # a few rows inserted with VALUES, not UNNEST


class DatabaseWrapper(base.DatabaseWrapper):
    HEALTH_CHECK_AFTER_IDLE_SECONDS = 1.0
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answered_at = None  # when the connection last served a request without a database error

    def close_if_unusable_or_obsolete(self):
        # Called when a request starts and when it ends; at the end of one that used the connection,
        # its health check (or its first query) has been done and no error occurred.
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self.answered_at = time.monotonic()
        super().close_if_unusable_or_obsolete()

    def close_if_health_check_failed(self):
        recently = self.answered_at is not None and time.monotonic() - self.answered_at < self.HEALTH_CHECK_AFTER_IDLE_SECONDS
        if self.connection is not None and recently and not self.health_check_done:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def connect(self):
        self.answered_at = None
        super().connect()
