"""Pluggable SMS backends (settings.RETURNPATH_SMS_BACKEND), in the spirit of Django's mail backends.

A backend has ``send(*, to: str, body: str, key: str = "") -> None`` and raises on failure.
``key`` is the message's idempotency key (the same for every attempt at one message): a gateway
that honours it never delivers twice. A backend that can tell whether a key left implements
``delivery_status(key) -> bool | None``; the sweep uses it to settle a send whose worker died
mid-call (decision 030). The default one only logs; a provider's gateway is one more class here.
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
    def send(self, *, to: str, body: str, key: str = "") -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def delivery_status(self, key: str) -> bool | None:
        """Whether the message with this key left (True), provably did not (False), or unknown (None)."""
        return None


class LoggingSmsBackend(BaseSmsBackend):
    """Development and demo: the message goes to the log, not to a phone."""

    def send(self, *, to: str, body: str, key: str = "") -> None:
        # Never the number or the text in the log (personal data): the message's key says which.
        logger.info("SMS handed to the log backend: %s (%d characters)", key or "-", len(body))


class FileSmsBackend(BaseSmsBackend):
    """One JSON line per message in settings.RETURNPATH_SMS_FILE (tests count what was sent)."""

    _lock = threading.Lock()

    def send(self, *, to: str, body: str, key: str = "") -> None:
        path = Path(settings.RETURNPATH_SMS_FILE)
        line = json.dumps({"to": to, "body": body, "key": key, "at": timezone.now().isoformat()}, ensure_ascii=False)
        with self._lock, path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()

    def delivery_status(self, key: str) -> bool | None:
        """The file is the gateway's own record: a key in it left, a key not in it did not."""
        path = Path(settings.RETURNPATH_SMS_FILE)
        if not path.exists():
            return False
        with path.open(encoding="utf-8") as handle:
            return any(json.loads(line).get("key") == key for line in handle if line.strip())


class LocmemSmsBackend(BaseSmsBackend):
    """Tests in one process: messages collect in ``LocmemSmsBackend.outbox``."""

    outbox: list[dict] = []

    def send(self, *, to: str, body: str, key: str = "") -> None:
        self.outbox.append({"to": to, "body": body, "key": key})

    def delivery_status(self, key: str) -> bool | None:
        return any(sent.get("key") == key for sent in self.outbox)


def get_backend() -> BaseSmsBackend:
    return import_string(settings.RETURNPATH_SMS_BACKEND)()
