from django.db import migrations

from counselling.dashboards.quarters import RECOUNT


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # elsewhere the national page computes live (counselling.dashboards.quarters)
    with schema_editor.connection.cursor() as cursor:
        # The recount returns at once when there is nobody to recount (decision 115); the rows it
        # writes otherwise are the same.
        cursor.execute(RECOUNT)


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0016_outcome_tally'),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
