"""How many open cases each counsellor follows, kept by the services (decision 060).

Imported at the end of ``cases.models`` so that Django registers the model with the app. Every
service that gives a case a counsellor, takes it away, or moves a case between open and terminal
states changes the counter in the same transaction (``cases/services/load.py``), so choosing the
lightest counsellor reads a few rows instead of counting a history of cases.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CounsellorLoad(models.Model):
    """The number of open cases whose counsellor is ``counsellor``."""

    counsellor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="case_load",
        verbose_name=_("counsellor"),
    )
    open_cases = models.IntegerField(_("open cases"), default=0)

    class Meta:
        verbose_name = _("counsellor load")
        verbose_name_plural = _("counsellor loads")
        indexes = [models.Index(fields=["open_cases", "counsellor"], name="counsellor_load_order")]

    def __str__(self) -> str:
        return f"{self.counsellor}: {self.open_cases}"
