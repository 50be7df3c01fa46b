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

Only ids (int) and dates vary: each stand-in must be one of the SQL's parameters exactly once, or the read
is refused at its first use. A values_list() read gives tuples, as the queryset would. A queryset's own
memory of related objects (a reverse manager's `_known_related_objects`) is not SQL and is not carried
over: build such reads from the model's manager. A changed setting (tests) has every read built again.
"""

import inspect
import weakref
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from django.core.signals import setting_changed
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import (
    ModelIterable,
    ValuesListIterable,
    _get_from_db,
    get_related_populators,
)
from django.db.transaction import TransactionManagementError


def _stand_ins(kinds: Sequence[type]) -> tuple:
    """Values that stand for the real ones while the SQL is built: no real id is negative, nobody was born in year 1."""
    values = []
    for number, kind in enumerate(kinds):
        if kind is int:
            values.append(-792_613_485 - number)
        elif kind is date:
            values.append(date(1, 1, 1) + timedelta(days=number))
        else:
            raise ValueError(f"A compiled read takes ids (int) and dates, not {kind!r}.")
    return tuple(values)


class _Prepared:
    """The SQL of one read on one connection, with what turns its rows into instances."""

    def __init__(self, queryset: QuerySet, alias: str, stand_ins: tuple):
        self.tuples = queryset._iterable_class is ValuesListIterable
        if (
            not (self.tuples or queryset._iterable_class is ModelIterable)
            or queryset._prefetch_related_lookups
            or queryset._known_related_objects
            or (self.tuples and queryset.query.annotation_select)  # values_list() of annotations: columns reordered
        ):
            raise ValueError(
                "A compiled read gives model instances or values_list() tuples of a plain queryset"
                " (no values(), flat or named lists, annotations in a list, prefetch or reverse manager)."
            )
        compiler = queryset.query.get_compiler(using=alias)
        self.sql, parameters = compiler.as_sql()  # also fills the compiler's select, klass_info and annotation_col_map
        parameters = list(parameters)
        # A date goes to the database as the backend adapts it (SQLite: as text), at once when the SQL is built.
        operations = compiler.connection.ops
        self.adapters = [operations.adapt_datefield_value if type(stand_in) is date else int for stand_in in stand_ins]
        self.positions = []
        for stand_in, adapt in zip(stand_ins, self.adapters, strict=True):
            adapted = adapt(stand_in)
            if sum(1 for value in parameters if type(value) is type(adapted) and value == adapted) != 1:
                raise ValueError(f"Each value must be one parameter of the SQL exactly once: {self.sql!r} with {parameters!r}")
            self.positions.append(parameters.index(adapted))
        self.parameters = parameters
        self.compiler = compiler
        # What results_iter() would work out on every read: each column's converters, once.
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        self.columns, self.converters = columns, compiler.get_converters(columns)
        self.composite = compiler.has_composite_fields(columns)
        self.alias = alias
        self.locks = queryset.query.select_for_update
        if self.tuples:
            return
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.fields = (start, end, [column[0].target.attname for column in select[start:end]])
        self.from_db = _get_from_db(klass_info["model"], queryset._fetch_mode)
        self.populators = get_related_populators(klass_info, select, alias, queryset._fetch_mode)
        self.annotations = tuple(compiler.annotation_col_map.items())

    def run(self, values: tuple) -> list:
        connection = self.compiler.connection
        if self.locks and connection.features.has_select_for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        parameters = list(self.parameters)
        for position, adapt, value in zip(self.positions, self.adapters, values, strict=True):
            parameters[position] = adapt(value)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, parameters)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        if self.composite:
            rows = self.compiler.composite_fields_to_tuples(rows, self.columns)
        if self.tuples:
            return [tuple(row) for row in rows]
        start, end, attnames = self.fields
        found = []
        for row in rows:
            instance = self.from_db(self.alias, attnames, row[start:end])
            for populator in self.populators:
                populator.populate(row, instance)
            for name, position in self.annotations:
                setattr(instance, name, row[position])
            found.append(instance)
        return found


class CompiledRead:
    """`build(*ids)` -> a queryset whose SQL depends on nothing but those ids; see the module's docstring."""

    def __init__(self, build: Callable[..., QuerySet], kinds: Sequence[type] | None = None):
        """`kinds`: the type of each of build's arguments, int or date (by default, as many ints as it has parameters)."""
        self.build = build
        self.kinds = tuple(kinds) if kinds is not None else (int,) * len(inspect.signature(build).parameters)
        self.stand_ins = _stand_ins(self.kinds)
        self.__doc__, self.__name__ = build.__doc__, getattr(build, "__name__", "compiled read")
        self._model_and_lock = None
        self._prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        _READS.add(self)

    def _alias(self) -> str:
        if self._model_and_lock is None:
            queryset = self.build(*self.stand_ins)
            self._model_and_lock = (queryset.model, queryset.query.select_for_update)
        model, locks = self._model_and_lock
        return router.db_for_write(model) if locks else router.db_for_read(model)

    def __call__(self, *values) -> list:
        """Every instance (or tuple) the read finds, as list(queryset) would give them."""
        for value, kind in zip(values, self.kinds, strict=True):
            if type(value) is not kind:  # a datetime is a date, a bool an int: neither is what the SQL was built for
                raise TypeError(f"{self.__name__} takes {[k.__name__ for k in self.kinds]}, not {values!r}.")
        alias = self._alias()
        connection = connections[alias]
        prepared = self._prepared.get(connection)
        if prepared is None:
            prepared = _Prepared(self.build(*self.stand_ins).using(alias), alias, self.stand_ins)
            self._prepared[connection] = prepared
        return prepared.run(values)

    def first(self, *values) -> Model | None:
        """The first instance found, or None (build the queryset with the ordering and the [:1] this needs)."""
        found = self(*values)
        return found[0] if found else None


def compiled_read(build: Callable[..., QuerySet]) -> CompiledRead:
    return CompiledRead(build)


_READS: weakref.WeakSet = weakref.WeakSet()


def _forget_sql(**_signal_arguments) -> None:
    """Settings decide the SQL and the converters (the database, the time zone): build every read again."""
    for read in list(_READS):
        read._prepared.clear()
        read._model_and_lock = None


setting_changed.connect(_forget_sql, dispatch_uid="portal.compiled.forget_sql")
