"""Delivery reports from the message backends (sent, delivered, failed), through a signed callback.

Each backend that can report has its own shared secret (RETURNPATH_DELIVERY_CALLBACK_SECRETS);
it POSTs JSON to /reach/delivery/<backend>/ with the header

    X-ReturnPath-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

A signature older than five minutes is refused (a replayed report changes nothing anyway: the
same report is stored once). The body is one report or {"reports": [...]}, each report
{"reference": "<the message's key>", "status": "sent|delivered|failed", "at": ISO 8601,
"provider_reference": "...", "detail": "..."}. The reference is the key ReturnPath handed to the
backend with the message (SMS ``key=``; the e-mail header ``X-ReturnPath-Reference``), or the bare
message id it ends with.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from counselling.delivery import message_id_of
from counselling.models import OutboundMessage
from counselling.reach.models import DeliveryReport

MAX_SKEW_SECONDS = 300
MAX_REPORTS = 500


@dataclass
class Outcome:
    status: int
    recorded: int = 0
    detail: str = ""


def sign(*, secret: str, body: bytes, at: int | None = None) -> str:
    """The header value a backend sends (used by tests and by a backend adapter written in Python)."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _verified(secret: str, body: bytes, signature: str) -> bool:
    try:
        parts = dict(item.split("=", 1) for item in signature.split(","))
        at = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(time.time() - at) > MAX_SKEW_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)


def _report_rows(payload) -> list[dict]:
    reports = payload.get("reports") if isinstance(payload, dict) and "reports" in payload else [payload]
    if not isinstance(reports, list) or len(reports) > MAX_REPORTS:
        raise ValueError("reports")
    return [r for r in reports if isinstance(r, dict)]


def receive(*, backend: str, body: bytes, signature: str) -> Outcome:
    secret = settings.RETURNPATH_DELIVERY_CALLBACK_SECRETS.get(backend)
    if not secret:
        return Outcome(404, detail="unknown backend")
    if not _verified(secret, body, signature):
        return Outcome(403, detail="bad signature")
    try:
        reports = _report_rows(json.loads(body))
    except (ValueError, UnicodeDecodeError):
        return Outcome(400, detail="not a report")
    recorded = 0
    for report in reports:
        recorded += record_report(backend=backend, report=report)
    return Outcome(200, recorded=recorded)


def record_report(*, backend: str, report: dict) -> int:
    """Store one report (1) or ignore one that is unknown, malformed or already stored (0)."""
    status = report.get("status")
    if status not in DeliveryReport.Status.values:
        return 0
    message_id = message_id_of(str(report.get("reference", "")))
    if message_id is None:
        return 0
    at = parse_datetime(str(report.get("at") or "")) or timezone.now()
    if timezone.is_naive(at):
        at = timezone.make_aware(at, dt.UTC)
    if not OutboundMessage.objects.filter(pk=message_id).exists():
        return 0
    _report, created = DeliveryReport.objects.get_or_create(
        message_id=message_id, backend=backend, status=status, reported_at=at,
        defaults={
            "provider_reference": str(report.get("provider_reference") or "")[:100],
            "detail": str(report.get("detail") or "")[:300],
        },
    )
    return int(created)


def latest_status(message: OutboundMessage) -> str:
    """delivered / failed from the backend when it reported, else the send's own status."""
    report = message.delivery_reports.order_by("-reported_at", "-id").first()
    return report.status if report else message.status
