from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounsellingConfig(AppConfig):
    name = "counselling"
    verbose_name = _("Counselling")

    def ready(self) -> None:
        from cases.signals import case_state_changed
        from counselling import services

        case_state_changed.connect(services.cancel_planned_when_counselling_ends, dispatch_uid="counselling.cancel_planned")
