"""Default invitation and reminder texts (nl, fr, en) and the administrators' right to edit them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TEMPLATES = {
    ("invitation", "email", "nl"): (
        "Uitnodiging voor een gesprek op {date}",
        "Beste {name},\n\n"
        "U bent uitgenodigd voor een gesprek met uw terugkeerbegeleider {counsellor} op {weekday} {date} om {time}.\n"
        "Plaats: {place} ({mode}), {address}.\n"
        "{interpreter}\n"
        "We bekijken samen al uw mogelijkheden. Kunt u niet komen? Bel ons op {office_phone}.\n\n"
        "Met vriendelijke groet,\n{place}",
    ),
    ("invitation", "email", "fr"): (
        "Invitation à un entretien le {date}",
        "Madame, Monsieur {name},\n\n"
        "Vous êtes invité(e) à un entretien avec votre accompagnateur de retour {counsellor} le {weekday} {date} à {time}.\n"
        "Lieu : {place} ({mode}), {address}.\n"
        "{interpreter}\n"
        "Nous examinerons ensemble toutes vos possibilités. Vous ne pouvez pas venir ? Appelez-nous au {office_phone}.\n\n"
        "Cordialement,\n{place}",
    ),
    ("invitation", "email", "en"): (
        "Invitation to a conversation on {date}",
        "Dear {name},\n\n"
        "You are invited to a conversation with your return counsellor {counsellor} on {weekday} {date} at {time}.\n"
        "Place: {place} ({mode}), {address}.\n"
        "{interpreter}\n"
        "Together we will look at all your options. Cannot come? Call us on {office_phone}.\n\n"
        "Kind regards,\n{place}",
    ),
    ("invitation", "sms", "nl"): ("", "ReturnPath: gesprek met {counsellor} op {date} om {time}, {place}, {address}. Info: {office_phone}"),
    ("invitation", "sms", "fr"): ("", "ReturnPath : entretien avec {counsellor} le {date} à {time}, {place}, {address}. Info : {office_phone}"),
    ("invitation", "sms", "en"): ("", "ReturnPath: conversation with {counsellor} on {date} at {time}, {place}, {address}. Info: {office_phone}"),
    ("reminder", "email", "nl"): (
        "Herinnering: gesprek op {date} om {time}",
        "Beste {name},\n\nWe herinneren u aan uw gesprek met {counsellor} op {weekday} {date} om {time} ({place}, {address}).\n"
        "{interpreter}\nKunt u niet komen? Bel ons op {office_phone}.\n\nMet vriendelijke groet,\n{place}",
    ),
    ("reminder", "email", "fr"): (
        "Rappel : entretien le {date} à {time}",
        "Madame, Monsieur {name},\n\nNous vous rappelons votre entretien avec {counsellor} le {weekday} {date} à {time} ({place}, {address}).\n"
        "{interpreter}\nVous ne pouvez pas venir ? Appelez-nous au {office_phone}.\n\nCordialement,\n{place}",
    ),
    ("reminder", "email", "en"): (
        "Reminder: conversation on {date} at {time}",
        "Dear {name},\n\nA reminder of your conversation with {counsellor} on {weekday} {date} at {time} ({place}, {address}).\n"
        "{interpreter}\nCannot come? Call us on {office_phone}.\n\nKind regards,\n{place}",
    ),
    ("reminder", "sms", "nl"): ("", "ReturnPath herinnering: gesprek op {date} om {time}, {place}. Info: {office_phone}"),
    ("reminder", "sms", "fr"): ("", "ReturnPath rappel : entretien le {date} à {time}, {place}. Info : {office_phone}"),
    ("reminder", "sms", "en"): ("", "ReturnPath reminder: conversation on {date} at {time}, {place}. Info: {office_phone}"),
}

ADMIN_PERMISSIONS = [
    "add_messagetemplate", "change_messagetemplate", "view_messagetemplate",
    "view_outboundmessage", "change_outboundmessage", "view_sweeprun", "view_conversation",
]


def seed(apps, schema_editor):
    MessageTemplate = apps.get_model("counselling", "MessageTemplate")
    for (kind, channel, language), (subject, body) in TEMPLATES.items():
        MessageTemplate.objects.get_or_create(
            kind=kind, channel=channel, language=language, defaults={"subject": subject, "body": body}
        )


def grant(apps, schema_editor):
    app_config = apps.get_app_config("counselling")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="administrator").first()
    if group is None:
        return
    for codename in ADMIN_PERMISSIONS:
        permission = Permission.objects.filter(content_type__app_label="counselling", codename=codename).first()
        if permission is not None:
            group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("counselling", "0002_messages_and_sweeps"),
        ("cases", "0002_roles_and_playbooks"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
