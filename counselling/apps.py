from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounsellingConfig(AppConfig):
    name = "counselling"
    verbose_name = _("Counselling")

    def ready(self) -> None:
        from counselling import followups

        # What follows the core's steps in counselling (cases/followups.py, decision 090).
        followups.register()

        from counselling import observability

        observability.register()  # messages, sweeps and heartbeats at /metrics and /readyz

        from counselling import case_side

        case_side.register()  # the conversations cases may read, through cases.conversations

        from counselling import backoff

        backoff.register()  # freed capacity in the reference data releases the stuck cases (decision 123)
