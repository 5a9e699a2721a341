"""Vulnerability, fitness to travel and removal operations."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Vulnerability(models.Model):
    """Flags that travel with the case: shown on every page of it and passed to the partner."""

    FLAGS = ("medical_condition", "pregnancy", "disability", "mental_health", "trafficking_victim", "elderly")

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="vulnerability")
    medical_condition = models.BooleanField(_("medical condition"), default=False)
    pregnancy = models.BooleanField(_("pregnancy"), default=False)
    disability = models.BooleanField(_("disability"), default=False)
    mental_health = models.BooleanField(_("mental health"), default=False)
    trafficking_victim = models.BooleanField(_("victim of trafficking"), default=False)
    elderly = models.BooleanField(_("elderly"), default=False)
    note = models.TextField(_("what travel and escorts need to know"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("vulnerability")
        verbose_name_plural = _("vulnerabilities")

    def __str__(self) -> str:
        return ", ".join(self.active_flags) or "—"

    @property
    def active_flags(self) -> list[str]:
        return [flag for flag in self.FLAGS if getattr(self, flag)]

    def labels(self) -> list[str]:
        return [self.flag_label(flag) for flag in self.active_flags]

    @classmethod
    def flag_label(cls, flag: str) -> str:
        # The flags are the model's own boolean fields, never a reverse relation.
        return str(cast("models.Field[Any, Any]", cls._meta.get_field(flag)).verbose_name)


class FitnessOpinion(models.Model):
    """A dated medical opinion that the person is unfit to travel; it blocks removal until lifted."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="fitness_opinions")
    given_on = models.DateField(_("opinion dated"))
    physician = models.CharField(_("physician"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)
    lifted_note = models.TextField(_("why it was lifted"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("unfit-to-travel opinion")
        verbose_name_plural = _("unfit-to-travel opinions")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(lifted_on__isnull=True), name="one_open_unfit_opinion_per_case"),
            models.CheckConstraint(name="unfit_lifted_after_given", condition=Q(lifted_on__isnull=True) | Q(lifted_on__gte=models.F("given_on"))),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.given_on}"

    @property
    def is_current(self) -> bool:
        return self.lifted_on is None


class RemovalOperation(models.Model):
    """A planned removal of a case in forced return, to its outcome."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CARRIED_OUT = "carried_out", _("Carried out")
        REFUSED_BOARDING = "refused_boarding", _("Refused boarding")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="removal_operations")
    planned_on = models.DateField(_("planned removal date"))
    escort_needed = models.BooleanField(_("escort needed"), default=False)
    escorts = models.PositiveSmallIntegerField(_("escorts"), default=0)
    flight_reference = models.CharField(_("flight reference"), max_length=64, blank=True)
    status = models.CharField(_("outcome"), max_length=20, choices=Status.choices, default=Status.PLANNED, db_index=True)
    outcome_on = models.DateField(_("outcome on"), null=True, blank=True)
    outcome_note = models.TextField(_("note or reason"), blank=True)
    planned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-planned_on", "-id"]
        verbose_name = _("removal operation")
        verbose_name_plural = _("removal operations")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="planned"), name="one_planned_removal_per_case"),
            models.CheckConstraint(
                name="removal_outcome_dated", condition=Q(status="planned") | Q(outcome_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.planned_on} {self.status}"
