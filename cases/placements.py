"""Placements of a case in a facility (open return places, closed centres, return houses).
Part of ``cases.models``."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django import forms
    from simple_history.manager import HistoryManager


class Placement(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="placements")
    facility = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="placements")
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    # The detention title this placement belongs to (closed centres and return houses only).
    detention_period = models.ForeignKey(
        "cases.DetentionPeriod", on_delete=models.PROTECT, null=True, blank=True, related_name="placements"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Added by django-simple-history when cases.history registers the model (decision 023).
    history: ClassVar[HistoryManager]

    # The case page's form to end this placement (cases.views), set on the rows it shows.
    end_form: forms.Form

    class Meta:
        ordering = ["-started_on", "-id"]
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(ended_on__isnull=True), name="one_current_placement_per_case"),
            models.CheckConstraint(
                name="placement_ends_after_start", condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on"))
            ),
        ]
        indexes = [models.Index(fields=["facility", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.facility} {self.started_on}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None
