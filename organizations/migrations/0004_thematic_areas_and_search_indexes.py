"""Seed the thematic areas, derive regional groups, and index search on PostgreSQL."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.utils.text import slugify

THEMATIC_AREAS = [
    "Drug policy",
    "Drug prevention and treatment",
    "HIV and AIDS",
    "Harm reduction",
    "Crime prevention",
    "Criminal justice and prison reform",
    "Corruption",
    "Organized crime",
    "Trafficking in persons",
    "Smuggling of migrants",
    "Firearms",
    "Cybercrime",
    "Terrorism prevention",
    "Crimes affecting the environment",
    "Victims' rights",
    "Gender",
    "Youth",
    "Human rights",
    "Alternative development",
    "Money laundering",
]

# Expression indexes: the directory's search uses exactly these expressions.
POSTGRES_INDEXES = [
    (
        "organization_search_names_trgm",
        "CREATE INDEX IF NOT EXISTS organization_search_names_trgm ON organizations_organization "
        "USING gin (search_names gin_trgm_ops)",
    ),
    (
        "organization_search_text_fts",
        "CREATE INDEX IF NOT EXISTS organization_search_text_fts ON organizations_organization "
        "USING gin (to_tsvector('simple'::regconfig, search_text))",
    ),
]


def seed(apps, schema_editor):
    ThematicArea = apps.get_model("organizations", "ThematicArea")
    for name in THEMATIC_AREAS:
        ThematicArea.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    from organizations.regions import regional_group_for

    Organization = apps.get_model("organizations", "Organization")
    for organization in Organization.objects.all().only("pk", "headquarters_country"):
        Organization.objects.filter(pk=organization.pk).update(
            regional_group=regional_group_for(organization.headquarters_country)
        )


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _name, sql in POSTGRES_INDEXES:
        schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _sql in POSTGRES_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("organizations", "0003_organization_profile")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
