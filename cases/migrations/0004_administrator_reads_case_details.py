"""Administrators can open a case's person, orders, procedures and placements in the admin."""

from django.db import migrations


def grant(apps, schema_editor):
    from returnpath.roles import ensure_roles

    ensure_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_idempotency_key")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
