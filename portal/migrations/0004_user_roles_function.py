"""PostgreSQL only: portal_user_roles(person, staff_group), the four questions of portal.roles.role_questions().

A PL/pgSQL function keeps the plans of its queries for the connection's life, so asking them costs
no planning after the first call; asked as subqueries of the user query (the ORM's way, and SQLite's
here), PostgreSQL plans four subqueries on every signed-in request. portal.backends calls it; a test
checks that both ways give the same answers.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_user_roles(
    person bigint, staff_group text,
    OUT read_is_csu_staff boolean, OUT read_is_coordinator boolean, OUT read_is_focal_point boolean, OUT read_has_mfa boolean
) LANGUAGE plpgsql STABLE AS $$
BEGIN
    read_is_csu_staff := EXISTS (
        SELECT 1 FROM portal_user_groups AS membership JOIN auth_group AS staff ON staff.id = membership.group_id
        WHERE membership.user_id = person AND staff.name = staff_group
    );
    read_is_coordinator := EXISTS (SELECT 1 FROM umbrella_coordinator WHERE user_id = person);
    read_is_focal_point := EXISTS (SELECT 1 FROM organizations_organizationmember WHERE user_id = person);
    read_has_mfa := EXISTS (SELECT 1 FROM mfa_authenticator WHERE user_id = person AND type = 'totp');
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS portal_user_roles(bigint, text);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_notification_next_attempt"),
        ("umbrella", "0003_membership_workflow"),
        ("organizations", "0004_thematic_areas_and_search_indexes"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
