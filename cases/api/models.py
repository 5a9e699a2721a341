"""API infrastructure, apart from the domain: the external systems that call the API (their
scopes and service users), the Idempotency-Key records of their POSTs, and order batches as jobs.

Still app label ``cases`` (same tables, same migrations); imported by ``cases.models`` so Django
registers them (decision 095).

Order batches (issue 13, item 4; decision 034): the API answers ``202`` with the batch's status
URL as soon as the orders are stored; Celery processes them in chunks on its own queue
(``batches``), each chunk committed with every order's answer, so a worker killed mid-batch
loses nothing: the rest is picked up where it stopped.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    """An external system (order register, partner) that talks to the API with knox tokens.

    Its tokens belong to a service user created with it; scopes say what it may do.
    """

    class Scope(models.TextChoices):
        ORDERS_WRITE = "orders:write", "orders:write"
        CASES_READ = "cases:read", "cases:read"
        CASES_READ_ALL = "cases:read_all", "cases:read_all"
        PROCEDURES_WRITE = "procedures:write", "procedures:write"
        DEPARTURES_WRITE = "departures:write", "departures:write"
        IDENTIFICATION_WRITE = "identification:write", "identification:write"
        RETURNS_PARTNER = "returns:partner", "returns:partner"

    name = models.CharField(_("name"), max_length=120, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    issuing_region = models.CharField(_("issuing region"), max_length=32, blank=True)
    throttle_rate = models.CharField(_("throttle rate"), max_length=20, default="600/min")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` an API client sent with a POST (IETF httpapi idempotency-key draft).

    The row is written before the request is processed (``status`` empty: in flight) and
    completed with the answer, so a retry with the same key replays the answer instead of
    doing the work twice; the same key with another body is refused.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_unique_per_client")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.key


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

    # Indexed by the unique (batch, index) below, which also serves the foreign key (decision 116).
    batch = models.ForeignKey(OrderBatch, on_delete=models.CASCADE, related_name="items", db_index=False)
    index = models.PositiveIntegerField()
    payload = models.JSONField(null=True)
    result = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="one_item_per_batch_index")]
        indexes = [models.Index(fields=["batch", "index"], condition=models.Q(result__isnull=True), name="batch_item_pending")]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.index}"
