"""Reads of a fixed shape whose SQL the ORM builds once per database connection, not on every request.

With prepared statements (portal.settings' POSTGRES_OPTIONS), PostgreSQL runs a read by primary key in
less time than Django takes to build its SQL: the registration with its session, commission, organization
and body took 1.4 ms to build and 0.3 ms to run (bench/run.py's data set). A read whose SQL never changes
but for the ids it is asked with is built here once per connection, with stand-in ids, and then run with
the real ones. Its rows become model instances exactly as the queryset's own would: Django's converters,
select_related() objects and annotations, by the compiler that built the SQL.

    @compiled_read
    def registration_with_context(registration_id):
        return Registration.objects.select_related("session", "organization").filter(pk=registration_id)

    registration = registration_with_context.first(42)

Only ids vary (integers): each stand-in must be one of the SQL's parameters exactly once, or the read is
refused at its first use. A queryset's own memory of related objects (a reverse manager's
`_known_related_objects`) is not SQL and is not carried over: build such reads from the model's manager.
"""

import inspect
import weakref
from collections.abc import Callable

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, _get_from_db, get_related_populators
from django.db.transaction import TransactionManagementError

# Stand-ins for the ids while the SQL is built: no real id is negative.
_STAND_INS = tuple(-792_613_485 - number for number in range(8))


class _Prepared:
    """The SQL of one read on one connection, with what turns its rows into instances."""

    def __init__(self, queryset: QuerySet, alias: str, arity: int):
        if queryset._iterable_class is not ModelIterable or queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise ValueError("A compiled read returns model instances of a plain queryset (no values(), prefetch or reverse manager).")
        compiler = queryset.query.get_compiler(using=alias)
        self.sql, parameters = compiler.as_sql()  # also fills the compiler's select, klass_info and annotation_col_map
        parameters = list(parameters)
        self.positions = []
        for stand_in in _STAND_INS[:arity]:
            if sum(1 for value in parameters if type(value) is int and value == stand_in) != 1:
                raise ValueError(f"Each id must be one parameter of the SQL exactly once: {self.sql!r} with {parameters!r}")
            self.positions.append(parameters.index(stand_in))
        self.parameters = parameters
        self.compiler = compiler
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.fields = (start, end, [column[0].target.attname for column in select[start:end]])
        self.from_db = _get_from_db(klass_info["model"], queryset._fetch_mode)
        self.populators = get_related_populators(klass_info, select, alias, queryset._fetch_mode)
        self.annotations = tuple(compiler.annotation_col_map.items())
        self.alias = alias
        self.locks = queryset.query.select_for_update

    def run(self, ids: tuple[int, ...]) -> list[Model]:
        connection = self.compiler.connection
        if self.locks and connection.features.has_select_for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        parameters = list(self.parameters)
        for position, value in zip(self.positions, ids, strict=True):
            parameters[position] = int(value)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, parameters)
            rows = cursor.fetchall()
        start, end, attnames = self.fields
        found = []
        for row in self.compiler.results_iter([rows]):
            instance = self.from_db(self.alias, attnames, row[start:end])
            for populator in self.populators:
                populator.populate(row, instance)
            for name, position in self.annotations:
                setattr(instance, name, row[position])
            found.append(instance)
        return found


class CompiledRead:
    """`build(*ids)` -> a queryset whose SQL depends on nothing but those ids; see the module's docstring."""

    def __init__(self, build: Callable[..., QuerySet]):
        self.build = build
        self.arity = len(inspect.signature(build).parameters)
        if self.arity > len(_STAND_INS):
            raise ValueError(f"A compiled read takes at most {len(_STAND_INS)} ids.")
        self.__doc__, self.__name__ = build.__doc__, build.__name__
        self._model_and_lock = None
        self._prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _alias(self) -> str:
        if self._model_and_lock is None:
            queryset = self.build(*_STAND_INS[: self.arity])
            self._model_and_lock = (queryset.model, queryset.query.select_for_update)
        model, locks = self._model_and_lock
        return router.db_for_write(model) if locks else router.db_for_read(model)

    def __call__(self, *ids: int) -> list[Model]:
        """Every instance the read finds, as list(queryset) would give them."""
        alias = self._alias()
        connection = connections[alias]
        prepared = self._prepared.get(connection)
        if prepared is None:
            prepared = _Prepared(self.build(*_STAND_INS[: self.arity]).using(alias), alias, self.arity)
            self._prepared[connection] = prepared
        return prepared.run(ids)

    def first(self, *ids: int) -> Model | None:
        """The first instance found, or None (build the queryset with the ordering and the [:1] this needs)."""
        found = self(*ids)
        return found[0] if found else None


def compiled_read(build: Callable[..., QuerySet]) -> CompiledRead:
    return CompiledRead(build)
