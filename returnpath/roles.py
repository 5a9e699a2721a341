"""The staff roles and their permissions (DESIGN §7). Groups are created by a data migration;
afterwards the admin is where permissions are changed (Signalen's way), not the code."""

COUNSELLOR = "counsellor"
OFFICE_MANAGER = "office manager"
NATIONAL_COORDINATOR = "national coordinator"
ADMINISTRATOR = "administrator"
API_CLIENT = "api client"

_COUNSEL = ["cases.counsel_case", "cases.record_legal_event", "cases.view_case", "counselling.view_conversation"]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    COUNSELLOR: _COUNSEL,
    OFFICE_MANAGER: [
        *_COUNSEL, "cases.escalate_case", "cases.decide_case", "cases.place_case", "cases.reassign_case",
        "cases.decide_detention", "cases.confirm_detention", "cases.decide_departure_term",
    ],
    NATIONAL_COORDINATOR: ["cases.view_all_cases", "cases.view_case", "counselling.view_conversation"],
    ADMINISTRATOR: [
        "offices.add_office", "offices.change_office", "offices.view_office",
        "offices.add_servicearea", "offices.change_servicearea", "offices.delete_servicearea", "offices.view_servicearea",
        "offices.add_consultationhours", "offices.change_consultationhours", "offices.delete_consultationhours",
        "offices.view_consultationhours",
        "offices.add_membership", "offices.change_membership", "offices.delete_membership", "offices.view_membership",
        "offices.add_staffprofile", "offices.change_staffprofile", "offices.view_staffprofile",
        "cases.add_playbook", "cases.change_playbook", "cases.view_playbook",
        "cases.add_apiclient", "cases.change_apiclient", "cases.view_apiclient",
        "cases.view_case", "cases.view_caseevent", "cases.view_person", "cases.view_ordertoleave",
        "cases.view_legalprocedure", "cases.view_placement",
        "cases.view_detentionperiod", "cases.view_detentiondecision", "cases.view_departuretermdecision",
        "auth.add_user", "auth.change_user", "auth.view_user", "auth.view_group",
    ],
    API_CLIENT: ["cases.record_legal_event", "cases.decide_departure_term"],
}


def ensure_roles(apps=None) -> None:
    """Create the groups with their permissions (idempotent). Used by the data migration (with
    its historical ``apps``) and by tests after a transactional test flushed the database."""
    from django.apps import apps as live_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or live_apps
    for app_config in apps.get_app_configs():
        if apps is not live_apps:
            app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        if apps is not live_apps:
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is None:
                if apps is not live_apps:
                    continue  # an earlier migration: a later one adds this permission and runs again
                raise RuntimeError(f"Permission {perm} does not exist")
            group.permissions.add(permission)
