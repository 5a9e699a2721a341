"""Legal procedures lodged against the order or for a right to stay (their meaning for the
trajectory: ``cases.procedure_kinds``). Part of ``cases.models``."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases import procedure_kinds

if TYPE_CHECKING:
    from simple_history.manager import HistoryManager


class LegalProcedure(models.Model):
    Kind = procedure_kinds.Kind  # declared with its legal meaning (cases.procedure_kinds)

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="procedures")
    client = models.ForeignKey("cases.ApiClient", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    lodged_on = models.DateField(_("lodged on"))
    suspensive = models.BooleanField(_("suspensive"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Added by django-simple-history when cases.history registers the model (decision 023).
    history: ClassVar[HistoryManager]

    class Meta:
        ordering = ["-lodged_on", "-id"]
        verbose_name = _("legal procedure")
        verbose_name_plural = _("legal procedures")
        constraints = [
            models.CheckConstraint(
                name="procedure_decided_has_date",
                condition=Q(status="pending", decided_on__isnull=True) | (~Q(status="pending") & Q(decided_on__isnull=False)),
            ),
        ]
        indexes = [models.Index(fields=["case", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}".strip()

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
