from django.conf import settings
from django.db import migrations

from counselling.dashboards.tally import case_office_function


def install(apps, schema_editor):
    """The case_office_moves trigger's function returns at once when no case changed office (decision 111)."""
    if schema_editor.connection.vendor != "postgresql":
        return  # no tally elsewhere
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(case_office_function(settings.TIME_ZONE))


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0013_conversation_agenda'),
    ]

    operations = [
        # Backwards: the function stays (it writes the same rows, only skips the empty case).
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
