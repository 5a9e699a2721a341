"""A batch of orders accepted as a job (issue 13, item 4; decision 034).

The API answers ``202`` with the batch's status URL as soon as the orders are stored; Celery
processes them in chunks on its own queue (``batches``), each chunk committed with every
order's answer, so a worker killed mid-batch loses nothing: the rest is picked up where it
stopped. Imported by ``cases.models`` (Django finds models there).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderBatch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey("cases.ApiClient", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("orders"))
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order batch")
        verbose_name_plural = _("order batches")
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.pk} ({self.processed}/{self.total})"


class OrderBatchItem(models.Model):
    """One order of a batch: what was sent, and its answer once processed (``result`` empty before)."""

    batch = models.ForeignKey(OrderBatch, on_delete=models.CASCADE, related_name="items")
    index = models.PositiveIntegerField()
    payload = models.JSONField(null=True)
    result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="one_item_per_batch_index")]
        indexes = [models.Index(fields=["batch", "index"], condition=models.Q(result__isnull=True), name="batch_item_pending")]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.index}"
