from django.db import migrations

from counselling.dashboards.quarters import RECOUNT


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # elsewhere the national page computes live (counselling.dashboards.quarters)
    with schema_editor.connection.cursor() as cursor:
        # The recount's statement planned once per session, not at every call (decision 120);
        # the rows it writes are the same.
        cursor.execute(RECOUNT)


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0019_office_conversation_tally'),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
