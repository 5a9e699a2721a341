from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Staff sign-in: limits on failed attempts, session policy, second factor (decision 025)."""

    name = "returnpath.accounts"
    label = "accounts"
    verbose_name = _("Sign-in")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from returnpath.accounts import sessions  # noqa: F401  (connects the signals)
