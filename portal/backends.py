"""Authentication backends that read a signed-in person's roles along with the person.

Every page asks the roles (the navigation shows them) and every staff page whether the person has
set up MFA: read with the user's own row, in the query Django makes on every signed-in request
anyway, they cost no query of their own (see portal.roles).

Building that query with the ORM (four subqueries) costs more than running it, on every request;
so its SQL is built once per process and database and run as a raw query with the person's id. On
PostgreSQL, planning the four subqueries cost more than running them too: there the roles come from
a PL/pgSQL function, whose plans are kept for the connection's life (migration portal.0004).
There a request's person usually comes read with its session, in the same query (portal.login_sessions).
"""

import functools

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth import backends, get_user_model
from django.core.signals import setting_changed
from django.db import connections, router

from .login_sessions import current_session
from .roles import role_questions

# Stands for the person's id while the SQL is built: no real id is negative.
_PLACEHOLDER_ID = -792_613_485


@functools.cache
def _user_with_roles_sql(alias: str) -> tuple[str, tuple, int, tuple[str, ...]]:
    """The SQL reading a user by id with its roles ("read_is_csu_staff", ...), its parameters, where the id goes
    and the names of the attributes the roles are kept in.

    On PostgreSQL the roles come from portal_user_roles() (migration portal.0004), whose queries are planned
    once per connection; elsewhere from the same questions as subqueries."""
    questions = role_questions()
    user_model = get_user_model()
    if connections[alias].vendor == "postgresql":
        table = connections[alias].ops.quote_name(user_model._meta.db_table)
        sql = f"SELECT {table}.*, roles.* FROM {table}, portal_user_roles({table}.id, %s) AS roles WHERE {table}.id = %s"
        return sql, (settings.CSU_STAFF_GROUP, _PLACEHOLDER_ID), 1, tuple(questions)
    query = (
        user_model._default_manager.using(alias)
        .annotate(**{f"read{name}": question for name, question in questions.items()})
        .filter(pk=_PLACEHOLDER_ID)
        .query
    )
    sql, parameters = query.get_compiler(alias).as_sql()
    return sql, tuple(parameters), list(parameters).index(_PLACEHOLDER_ID), tuple(questions)


def _forget_sql(**_signal_arguments) -> None:
    _user_with_roles_sql.cache_clear()


setting_changed.connect(_forget_sql, dispatch_uid="portal.backends.forget_sql")


class RolesWithUserMixin:
    def get_user(self, user_id):
        session = current_session.get()
        user = session.user_read_with_session(user_id) if session is not None else None
        if user is not None:  # read with the session, in the same query (portal.login_sessions)
            return user if self.user_can_authenticate(user) else None
        user_model = get_user_model()
        alias = router.db_for_read(user_model)
        sql, parameters, position, names = _user_with_roles_sql(alias)
        parameters = (*parameters[:position], user_id, *parameters[position + 1 :])
        user = next(iter(user_model._default_manager.db_manager(alias).raw(sql, parameters)), None)
        if user is None:
            return None
        for name in names:
            setattr(user, name, bool(getattr(user, f"read{name}")))
        return user if self.user_can_authenticate(user) else None


class ModelBackend(RolesWithUserMixin, backends.ModelBackend):
    pass


class AccountBackend(RolesWithUserMixin, AuthenticationBackend):
    pass
