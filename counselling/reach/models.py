"""The person's answer link (one per conversation) and delivery reports of outbound messages."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


class InvitationLink(models.Model):
    """What the person's signed link points at, and what the person answered through it.

    The signed token carries the conversation id *and* this nonce: rotating the nonce revokes
    every link handed out before (a reschedule, a lost phone, an administrator's action).
    """

    conversation = models.OneToOneField(
        "counselling.Conversation", on_delete=models.PROTECT, related_name="invitation_link", verbose_name=_("conversation")
    )
    nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    first_opened_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    other_time_requested_at = models.DateTimeField(_("other time asked"), null=True, blank=True)
    other_time_choice = models.DateTimeField(_("time the person chose"), null=True, blank=True)
    interpreter_requested_at = models.DateTimeField(_("interpreter asked"), null=True, blank=True)
    interpreter_language = models.CharField(_("interpreter language"), max_length=8, blank=True)
    # Per-link rate limit in the database (works without Redis): answers in the current window.
    window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    window_hits = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("invitation link")
        verbose_name_plural = _("invitation links")
        indexes = [models.Index(fields=["confirmed_at"])]

    def __str__(self) -> str:
        return f"{self.conversation_id}"


class DeliveryReport(models.Model):
    """One status report about one outbound message, as the backend's callback sent it (append-only)."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    message = models.ForeignKey(
        "counselling.OutboundMessage", on_delete=models.PROTECT, related_name="delivery_reports", verbose_name=_("message")
    )
    backend = models.CharField(_("backend"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("delivery report")
        verbose_name_plural = _("delivery reports")
        indexes = [models.Index(fields=["message", "-reported_at"])]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"
