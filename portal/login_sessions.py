"""The session engine: Django's sessions in the database, read with the signed-in person in one query.

Every signed-in request reads its session, then its person with their roles (portal.backends). With
the person's id kept as a column of the session (portal.models.LoginSession), PostgreSQL answers both
in one query, portal_login_session() (migration portal.0005, a PL/pgSQL function so that its plan is
kept): one round trip less on every signed-in request than a session read from a cache and a person
read from the database.

Django still decides who is signed in (django.contrib.auth.get_user): the session's backend, the
person's id, the session's hash of the password, the person being active. The person read with the
session is only handed to the backend in place of its own query for the same id, during that call
(AuthenticationMiddleware). Elsewhere than PostgreSQL (SQLite) the same query is built by the ORM.
"""

import functools
from contextvars import ContextVar

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth import middleware as auth_middleware
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import connections, router
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .roles import role_questions


class SessionStore(db.SessionStore):
    # The person the session's query read (roles included), kept for this request's authentication.
    _read_user = None

    @classmethod
    def get_model_class(cls):
        from .models import LoginSession

        return LoginSession

    def load(self):
        alias = router.db_for_read(self.model)
        # The application's clock decides whether the session has expired, as Django's does.
        if connections[alias].vendor == "postgresql":
            session_data, user, roles = self._read_with_function(alias)
        else:
            session_data, user, roles = self._read_with_orm(alias)
        if session_data is None:  # none, or expired
            self._session_key = None
            return {}
        if user is not None:
            for name, value in roles.items():
                setattr(user, name, bool(value))
            self._read_user = user
        return self.decode(session_data)

    def _read_with_function(self, alias: str) -> tuple:
        sql, user_fields, role_names = _session_with_user_sql(alias)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, {"key": self.session_key, "now": timezone.now(), "staff_group": settings.CSU_STAFF_GROUP})
            row = cursor.fetchone()
        if row is None:
            return None, None, {}
        user_values = row[1 : 1 + len(user_fields)]
        user = get_user_model().from_db(alias, user_fields, user_values) if user_values[0] is not None else None
        return row[0], user, dict(zip(role_names, row[1 + len(user_fields) :], strict=True))

    def _read_with_orm(self, alias: str) -> tuple:
        questions = role_questions(person="user_id")
        found = (
            self.model.objects.using(alias)
            .select_related("user")
            .annotate(**{f"read{name}": question for name, question in questions.items()})
            .filter(session_key=self.session_key, expire_date__gt=timezone.now())
            .first()
        )
        if found is None:
            return None, None, {}
        return found.session_data, found.user, {name: getattr(found, f"read{name}") for name in questions}

    def user_read_with_session(self, user_id):
        """The person this session's query read, if it is the one with this id; else None."""
        user = self._read_user
        return user if user is not None and user.pk == user_id else None

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = _user_id(data.get(SESSION_KEY))
        return instance


def _user_id(value):
    if value is None:
        return None
    try:
        return get_user_model()._meta.pk.to_python(value)
    except ValidationError:
        return None


@functools.cache
def _session_with_user_sql(alias: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The SQL reading a live session by its key with its person's row and roles, from portal_login_session()
    (migration portal.0005); the person's field names, in the order of their columns; the roles' attributes."""
    quote = connections[alias].ops.quote_name
    fields = get_user_model()._meta.concrete_fields
    role_names = tuple(role_questions())
    columns = ", ".join(f"(found.person).{quote(field.column)}" for field in fields)
    roles = ", ".join(f"found.{quote('read' + name)}" for name in role_names)
    sql = f"SELECT found.session_data, {columns}, {roles} FROM portal_login_session(%(key)s, %(now)s, %(staff_group)s) AS found"
    return sql, tuple(field.attname for field in fields), role_names


def _forget_sql(**_signal_arguments) -> None:
    _session_with_user_sql.cache_clear()


setting_changed.connect(_forget_sql, dispatch_uid="portal.login_sessions.forget_sql")


# The session of the request being authenticated, while Django's get_user() runs (portal.backends reads it).
current_session: ContextVar[SessionStore | None] = ContextVar("portal_current_session", default=None)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the person taken from the session's own query when it read them."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(functools.partial(get_user, request))


def get_user(request):
    if not hasattr(request, "_cached_user"):
        token = current_session.set(request.session)
        try:
            request._cached_user = auth.get_user(request)
        finally:
            current_session.reset(token)
    return request._cached_user
