"""Trigram indexes for searching people by part of a name (PostgreSQL only).

``icontains`` compares ``UPPER(name) LIKE UPPER('%part%')``; a GIN trigram index on the same
expression answers it without scanning every person. Needs the pg_trgm extension (in PostgreSQL's
contrib, present on standard installations); without the right to create it the search still
works, only slower, so the migration then skips the indexes and says so.
"""

from django.db import migrations

INDEXES = {
    "person_family_name_trgm": "cases_person USING gin (UPPER(family_name::text) gin_trgm_ops)",
    "person_given_names_trgm": "cases_person USING gin (UPPER(given_names::text) gin_trgm_ops)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        print(f"\n  pg_trgm is not available ({error}); name search works without its indexes.")
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_search_indexes")]

    operations = [migrations.RunPython(create, drop)]
