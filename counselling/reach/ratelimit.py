"""Rate limits of the person's page that do not depend on Redis.

Per client address: the shared cache when it answers, else a per-process window (a Redis
outage must neither open the page to guessing nor close it to people). Per link: a window kept
on the InvitationLink row itself (services.record_person_answer), so it holds across processes.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60
_local: OrderedDict[str, tuple[float, int]] = OrderedDict()
_lock = threading.Lock()
_LOCAL_MAX_KEYS = 10_000


def _local_hit(key: str, now: float) -> int:
    with _lock:
        started, count = _local.get(key, (now, 0))
        if now - started >= WINDOW_SECONDS:
            started, count = now, 0
        _local[key] = (started, count + 1)
        _local.move_to_end(key)
        while len(_local) > _LOCAL_MAX_KEYS:
            _local.popitem(last=False)
        return count + 1


def allow(address: str, *, limit: int | None = None) -> bool:
    """Count one request from ``address``; False once it passed the limit in the current minute."""
    limit = limit or settings.RETURNPATH_PERSON_PAGE_RATE
    now = time.time()
    key = f"reach:rate:{address}:{int(now // WINDOW_SECONDS)}"
    try:
        cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
        count = cache.incr(key)
    except Exception:  # the cache is down: the per-process window still limits
        count = _local_hit(address, now)
    return count <= limit


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def reset_local() -> None:
    with _lock:
        _local.clear()
