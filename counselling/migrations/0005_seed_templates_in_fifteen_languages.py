"""Invitation, reminder and letter texts in 15 languages (issue 14), each with its review status.

nl/fr/en are the service's own texts ("source"); the other twelve are honest about not having
been checked by a translator yet ("unreviewed"). A text an administrator already edited is left
alone: only rows still holding the text migration 0003 seeded are rewritten.
"""

from django.db import migrations

from counselling.reach.phrases import PHRASES, SOURCE_LANGUAGES, template_texts


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("counselling", "MessageTemplate")
    from importlib import import_module

    previous = import_module("counselling.migrations.0003_seed_message_templates").TEMPLATES
    for language in PHRASES:
        status = "source" if language in SOURCE_LANGUAGES else "unreviewed"
        for (kind, channel), (subject, body) in template_texts(language).items():
            row = MessageTemplate.objects.filter(kind=kind, channel=channel, language=language).first()
            if row is None:
                MessageTemplate.objects.create(
                    kind=kind, channel=channel, language=language, subject=subject, body=body, review_status=status
                )
            elif previous.get((kind, channel, language)) == (row.subject, row.body):
                row.subject, row.body, row.review_status = subject, body, status
                row.save(update_fields=["subject", "body", "review_status"])
            elif language in SOURCE_LANGUAGES:
                row.review_status = "source"
                row.save(update_fields=["review_status"])


class Migration(migrations.Migration):
    dependencies = [("counselling", "0004_reach")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
