"""The tallies written after 0007 (conversation, quarter, office, outcome) got the case tally's
vacuum settings but not its analyze setting: their statistics went stale between PostgreSQL's
default analyses (10 % of the rows), and the national page's plans with them."""

from django.db import migrations

TALLIES = ("counselling_conversationtally", "counselling_quartertally", "counselling_officetally", "counselling_outcometally")


def analyze_as_often(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TALLIES:
            cursor.execute(f"ALTER TABLE {table} SET (autovacuum_analyze_scale_factor = 0.02)")


def back(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table in TALLIES:
            cursor.execute(f"ALTER TABLE {table} RESET (autovacuum_analyze_scale_factor)")


class Migration(migrations.Migration):

    dependencies = [
        ("counselling", "0017_recount_nobody_quickly"),
    ]

    operations = [
        migrations.RunPython(analyze_as_often, back),
    ]
