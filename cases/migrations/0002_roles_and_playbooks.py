"""Staff roles (groups with their permissions) and the default playbooks of DESIGN §8."""

from django.db import migrations

PLAYBOOKS = [
    # target group, intake working days, cadence, min conversations before escalation, no-shows, home visit, reminder h
    ("individual", 5, 14, 2, 2, False, 48),
    ("family", 5, 7, 3, 2, True, 48),
    ("unaccompanied_minor", 3, 7, None, 2, False, 48),
    ("open_return_place", 2, 7, 2, 1, False, 24),
    ("public_order", 2, 7, 1, 1, False, 24),
    ("dublin", 3, 7, 1, 1, False, 24),
    ("no_address", 0, 14, 2, 1, False, 24),
]


def create_playbooks(apps, schema_editor):
    Playbook = apps.get_model("cases", "Playbook")
    for group, intake, cadence, minimum, no_shows, home_visit, reminder in PLAYBOOKS:
        Playbook.objects.update_or_create(
            target_group=group,
            defaults=dict(
                intake_within_working_days=intake,
                cadence_days=cadence,
                final_week_cadence_days=3,
                min_conversations_before_escalation=minimum,
                no_shows_before_lose_contact=no_shows,
                home_visit_preferred=home_visit,
                reminder_lead_hours=reminder,
            ),
        )


def create_roles(apps, schema_editor):
    from returnpath.roles import ensure_roles

    ensure_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("offices", "0001_initial"),
        ("counselling", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_playbooks, migrations.RunPython.noop),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
