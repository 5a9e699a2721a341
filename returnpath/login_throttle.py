"""Sign-in rate limiting (DESIGN §7): failures counted per username + client address in the cache.

A small fixed window is enough here: it stops password guessing against one account from one
place without locking a colleague out from everywhere. The counter lives in the shared cache
(Redis in production) so every web process sees the same count.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

MAX_FAILURES = getattr(settings, "LOGIN_MAX_FAILURES", 5)
WINDOW_SECONDS = getattr(settings, "LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)


def _key(username: str, address: str) -> str:
    # Hashed: usernames are personal data and do not belong in cache keys in clear.
    digest = hashlib.sha256(f"{(username or '').strip().lower()}|{address or ''}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


def client_address(request) -> str:
    # REMOTE_ADDR only: a forwarded header is set by the client unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def is_locked_out(*, username: str, address: str) -> bool:
    return int(cache.get(_key(username, address), 0)) >= MAX_FAILURES


def record_failure(*, username: str, address: str) -> int:
    key = _key(username, address)
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        return 1


def reset(*, username: str, address: str) -> None:
    cache.delete(_key(username, address))
