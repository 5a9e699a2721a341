"""The access log's rows: who read which person's data (decision 022; the recording is
``cases.access_log``). Part of ``cases.models``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CaseAccessQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The access log is append-only.")

    def delete(self):
        raise TypeError("The access log is append-only.")


class CaseAccess(models.Model):
    """Who read which person's data, when, what, from where and with what result (DESIGN §7,
    decision 022). Append-only: the database refuses UPDATE and DELETE too (migration 0010)."""

    class Result(models.TextChoices):
        OK = "ok", _("shown")
        NOT_FOUND = "not_found", _("not found or not allowed")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             db_index=False)  # the (case, at) index serves "by case" (decision 113)
    # A deleted user leaves the row (SET_NULL) and its name snapshot; deactivate users instead.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user_label = models.CharField(_("who"), max_length=150, blank=True)
    via = models.CharField(_("what"), max_length=24)
    at = models.DateTimeField(_("when"), default=timezone.now)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    client_label = models.CharField(_("API client"), max_length=120, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, default=Result.OK)
    # Exports: the filter and the row count; other reads: the case id asked for, the reason given.
    detail = models.JSONField(default=dict, blank=True)

    objects = CaseAccessQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["case", "at"]), models.Index(fields=["at"])]
        verbose_name = _("case access")
        verbose_name_plural = _("case accesses")

    def __str__(self) -> str:
        return f"{self.case_id} {self.via} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The access log is append-only.")
