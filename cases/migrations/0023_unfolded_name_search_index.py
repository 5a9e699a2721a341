"""A trigram index on the family names not folded yet (PostgreSQL only; decision 072).

The caseload search still matches a person whose folded search name is empty by the name as
typed (``UPPER(family_name) LIKE``). Every path that writes people fills the folded name, so
those rows are few or none; a partial index over just them lets PostgreSQL answer that arm of
the search without reading the posting lists of every person with that name (migration 0006's
full index did: at 100k generated people, 4 of the 10 ms of a common name's index scans).
"""

from django.db import migrations

NAME = "person_unfolded_name_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:  # see 0006: the search works without the index
            return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON cases_person USING gin (UPPER(family_name::text) gin_trgm_ops) "
        "WHERE search_name = ''"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0022_merge_reads")]

    operations = [migrations.RunPython(create, drop)]
