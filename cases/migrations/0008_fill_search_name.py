"""Fill the folded search name of existing people, and index it with trigrams on PostgreSQL."""

import unicodedata

from django.db import migrations


def fold(text: str) -> str:  # a frozen copy of cases.models.fold_for_search (migrations keep their own code)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(ch if ch.isalnum() else " " for ch in plain).split())


def fill(apps, schema_editor):
    Person = apps.get_model("cases", "Person")
    batch = []
    for person in Person.objects.only("id", "given_names", "family_name").iterator(chunk_size=2000):
        person.search_name = fold(f"{person.given_names} {person.family_name}")
        batch.append(person)
        if len(batch) == 2000:
            Person.objects.bulk_update(batch, ["search_name"])
            batch = []
    if batch:
        Person.objects.bulk_update(batch, ["search_name"])
    if schema_editor.connection.vendor == "postgresql":
        from django.db import DatabaseError, transaction

        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            return  # see 0006: the search works without the index
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS person_search_name_trgm ON cases_person USING gin (search_name gin_trgm_ops)"
        )


def unfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS person_search_name_trgm")


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_person_search_name")]

    operations = [migrations.RunPython(fill, unfill)]
