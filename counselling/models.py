"""Conversations: planned, then held, no-show, cancelled or rescheduled."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Conversation(models.Model):
    class Mode(models.TextChoices):
        OFFICE = "office", _("At the office")
        HOME_VISIT = "home_visit", _("Home visit")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video call")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Rescheduled")

    class Stance(models.TextChoices):
        NOT_DISCUSSED = "not_discussed", _("Not discussed")
        AGREES = "agrees", _("Agrees to return voluntarily")
        CONSIDERING = "considering", _("Considering voluntary return")
        REFUSES = "refuses", _("Refuses voluntary return")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="conversations")
    counsellor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="conversations", verbose_name=_("counsellor")
    )
    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, null=True, blank=True, related_name="conversations", verbose_name=_("office")
    )
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.OFFICE)
    planned_at = models.DateTimeField(_("planned at"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    is_intake = models.BooleanField(_("intake"), default=False)
    interpreter_language = models.CharField(_("interpreter language"), max_length=8, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)

    # Outcome of a held conversation
    discussed_legal_stay = models.BooleanField(_("legal stay discussed"), default=False)
    discussed_voluntary_return = models.BooleanField(_("voluntary return discussed"), default=False)
    discussed_forced_return_risk = models.BooleanField(_("forced return risk discussed"), default=False)
    stance = models.CharField(_("stance on voluntary return"), max_length=16, choices=Stance.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    agreed_next_step = models.CharField(_("agreed next step"), max_length=300, blank=True)
    interpreter_used = models.BooleanField(_("interpreter used"), default=False)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)

    # Messages and sweeps (each set once, under a row lock, so nothing is sent twice)
    invitation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["planned_at", "id"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="planned"), name="one_planned_conversation_per_case"),
            models.UniqueConstraint(
                fields=["counsellor", "planned_at"], condition=Q(status="planned"), name="counsellor_not_double_booked"
            ),
            models.CheckConstraint(
                name="held_has_stance", condition=~Q(status="held") | ~Q(stance=""),
            ),
        ]
        indexes = [
            models.Index(fields=["counsellor", "planned_at"]),
            models.Index(fields=["status", "planned_at"]),
            models.Index(fields=["case", "-planned_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.planned_at:%Y-%m-%d %H:%M}"

    @property
    def is_planned(self) -> bool:
        return self.status == self.Status.PLANNED
