from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounsellingConfig(AppConfig):
    name = "counselling"
    verbose_name = _("Counselling")

    def ready(self) -> None:
        from counselling import followups

        # What follows the core's steps in counselling (cases/followups.py, decision 090).
        followups.register()
