"""Sessions with the signed-in person as a column (portal.login_sessions); the live sessions are carried over,
so nobody has to sign in again. On PostgreSQL, portal_login_session(key, moment, staff_group) reads a session
live at that moment with its person's row and roles: a PL/pgSQL function, so that its plan is kept for the
connection's life (planning the join cost about as much as running it, on every signed-in request)."""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.db import migrations, models

READ = """
CREATE OR REPLACE FUNCTION portal_login_session(key text, moment timestamptz, staff_group text)
RETURNS TABLE (
    session_data text, person portal_user,
    read_is_csu_staff boolean, read_is_coordinator boolean, read_is_focal_point boolean, read_has_mfa boolean
) LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    SELECT login.session_data, account, roles.read_is_csu_staff, roles.read_is_coordinator, roles.read_is_focal_point,
           roles.read_has_mfa
    FROM portal_loginsession AS login
    LEFT JOIN portal_user AS account ON account.id = login.user_id,
    LATERAL portal_user_roles(login.user_id, staff_group) AS roles
    WHERE login.session_key = key AND login.expire_date > moment;
END
$$;
"""


def create_read(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(READ)


def drop_read(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS portal_login_session(text, timestamptz, text);")


def carry_over_sessions(apps, schema_editor):
    """Move every live session of django.contrib.sessions, its data as it is (the same signing salt), with its person's id."""
    from django.utils import timezone

    OldSession = apps.get_model("sessions", "Session")
    LoginSession = apps.get_model("portal", "LoginSession")
    User = apps.get_model("portal", "User")
    alias = schema_editor.connection.alias
    store = DjangoSessionStore()
    live = OldSession.objects.using(alias).filter(expire_date__gt=timezone.now()).order_by("pk")
    batch = []
    for old in live.iterator(chunk_size=2000):
        user_id = store.decode(old.session_data).get(SESSION_KEY)
        batch.append(
            LoginSession(
                session_key=old.session_key, session_data=old.session_data, expire_date=old.expire_date,
                user_id=int(user_id) if user_id is not None and str(user_id).isdigit() else None,
            )
        )
        if len(batch) == 2000:
            _write(LoginSession, User, batch, alias)
            batch = []
    _write(LoginSession, User, batch, alias)
    # Nothing reads or expires that table any more (clearsessions works on the engine's model): it keeps no copy.
    OldSession.objects.using(alias).all().delete()


def _write(LoginSession, User, batch, alias):
    known = set(User.objects.using(alias).filter(pk__in={s.user_id for s in batch if s.user_id}).values_list("pk", flat=True))
    for session in batch:
        if session.user_id not in known:
            session.user_id = None
    LoginSession.objects.using(alias).bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0004_user_roles_function'),
        ('sessions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='LoginSession',
            fields=[
                ('session_key', models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name='session key')),
                ('session_data', models.TextField(verbose_name='session data')),
                ('expire_date', models.DateTimeField(db_index=True, verbose_name='expire date')),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'session',
                'verbose_name_plural': 'sessions',
                'abstract': False,
            },
        ),
        migrations.RunPython(carry_over_sessions, migrations.RunPython.noop),
        migrations.RunPython(create_read, drop_read, elidable=False),
    ]
