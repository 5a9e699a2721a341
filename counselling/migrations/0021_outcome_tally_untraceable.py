from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import migrations, models

from counselling.dashboards.outcomes import COMPACT, UNPACK, fill, function


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # elsewhere the dashboards compute live
    zone = settings.TIME_ZONE
    with schema_editor.connection.cursor() as cursor:
        # The untraceable cases of the twelve months, counted from the day they went out of sight,
        # and the histogram packed per office (decision 121). No case changes between the new
        # function and the recount.
        cursor.execute("LOCK TABLE cases_case IN SHARE MODE")
        cursor.execute(function(zone))
        cursor.execute("SELECT since FROM counselling_outcomewindow WHERE id = 1")
        found = cursor.fetchone()
        fill(cursor, zone, since=found[0] if found else None)
        cursor.execute(COMPACT)


def remove(apps, schema_editor):
    # The packed histograms as rows again, for the earlier readers (which read only the outcome
    # states' counts and the histogram: the untraceable rows are left for them to ignore).
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(UNPACK)


class Migration(migrations.Migration):

    dependencies = [
        ('counselling', '0020_recount_planned_once'),
    ]

    operations = [
        migrations.AddField(
            model_name='outcometally',
            name='histogram',
            field=ArrayField(base_field=models.IntegerField(), null=True, size=None),
        ),
        migrations.RunPython(install, remove),
    ]
