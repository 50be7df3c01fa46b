"""Django's PostgreSQL compilers, inserting a few rows with VALUES rather than UNNEST.

Django inserts several rows as SELECT * FROM UNNEST(%s::type[], ...), one array per column, so that
PostgreSQL plans one statement whatever the number of rows. With prepared statements (portal.settings)
planning is paid once per statement anyway, and psycopg dumps each array in Python, element by element:
for the few rows a request inserts (a delegation, its log entries, its e-mails) that cost more than the
rest of the INSERT. Up to VALUES_UP_TO rows go as VALUES (%s, ...), their values dumped by psycopg's C
code; larger batches (imports, the data generator) still go through UNNEST.
"""

from django.db.backends.postgresql.compiler import (  # noqa: F401
    SQLAggregateCompiler,
    SQLCompiler,
    SQLDeleteCompiler,
    SQLUpdateCompiler,
)
from django.db.backends.postgresql.compiler import SQLInsertCompiler as PostgresInsertCompiler
from django.db.models.sql.compiler import SQLInsertCompiler as GenericInsertCompiler

VALUES_UP_TO = 20


class SQLInsertCompiler(PostgresInsertCompiler):
    def assemble_as_sql(self, fields, value_rows):
        if len(value_rows) <= VALUES_UP_TO:
            return GenericInsertCompiler.assemble_as_sql(self, fields, value_rows)
        return super().assemble_as_sql(fields, value_rows)
