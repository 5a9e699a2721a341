# The outcome tally's trigger returns at once for cases opened without an outcome (issue 15):
# every order's new case ran (and planned) the tally's three-part INSERT for nothing.

from django.conf import settings
from django.db import migrations

from counselling.dashboards.outcomes import function


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # elsewhere the dashboards compute live
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(function(settings.TIME_ZONE))


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0021_outcome_tally_untraceable'),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
