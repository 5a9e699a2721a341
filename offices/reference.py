"""Reference data kept per process for a short while (decision 061).

Offices, their service areas and the playbooks change a few times a year and are read on every
order. Each process keeps what it loaded for ``RETURNPATH_REFERENCE_CACHE_SECONDS`` (0: off);
a save or delete of such a row in this process forgets everything at once, another process
catches up within the same number of seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings

_entries: dict[str, tuple[float, Any]] = {}


def cached(name: str, load: Callable[[], Any]) -> Any:
    ttl = getattr(settings, "RETURNPATH_REFERENCE_CACHE_SECONDS", 60)
    if ttl <= 0:
        return load()
    now = time.monotonic()
    entry = _entries.get(name)
    if entry is not None and entry[0] > now:
        return entry[1]
    value = load()
    _entries[name] = (now + ttl, value)
    return value


def forget_reference_data(*args, **kwargs) -> None:
    """Receiver of post_save/post_delete of reference models (connected in the apps' ready())."""
    _entries.clear()
