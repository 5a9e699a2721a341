"""Pluggable SMS backends (settings.RETURNPATH_SMS_BACKEND), in the spirit of Django's mail backends.

A backend has ``send(*, to: str, body: str, reference: str = "") -> None`` and raises on failure;
``reference`` is ReturnPath's message id, which the gateway echoes in its delivery reports. The default one
only logs; a provider's gateway is one more class here.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("returnpath.sms")


class SmsError(Exception):
    """The backend could not hand the message over (it was not sent)."""


class BaseSmsBackend:
    def send(self, *, to: str, body: str, reference: str = "") -> None:  # pragma: no cover - interface
        raise NotImplementedError


class LoggingSmsBackend(BaseSmsBackend):
    """Development and demo: the message goes to the log, not to a phone."""

    def send(self, *, to: str, body: str, reference: str = "") -> None:
        logger.info("SMS to %s: %s", to, body)


class FileSmsBackend(BaseSmsBackend):
    """One JSON line per message in settings.RETURNPATH_SMS_FILE (tests count what was sent)."""

    _lock = threading.Lock()

    def send(self, *, to: str, body: str, reference: str = "") -> None:
        path = Path(settings.RETURNPATH_SMS_FILE)
        line = json.dumps({"to": to, "body": body, "reference": reference, "at": timezone.now().isoformat()}, ensure_ascii=False)
        with self._lock, path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()


class LocmemSmsBackend(BaseSmsBackend):
    """Tests in one process: messages collect in ``LocmemSmsBackend.outbox``."""

    outbox: list[dict] = []

    def send(self, *, to: str, body: str, reference: str = "") -> None:
        self.outbox.append({"to": to, "body": body, "reference": reference})


def get_backend() -> BaseSmsBackend:
    return import_string(settings.RETURNPATH_SMS_BACKEND)()
