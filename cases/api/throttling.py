"""Per-client throttling in the shared cache (Redis in production, so every web process counts
the same requests), and a limit on failed authentications per address.

Fixed windows with ``cache.add`` + ``cache.incr``: both are atomic on Redis, so concurrent
requests of one client cannot lose counts (DRF's SimpleRateThrottle reads, appends and writes
back a list, which loses updates under concurrency). When Redis does not answer, the same
counts are kept in this process's own cache (:func:`returnpath.resilience.shared_or_local`):
throttling goes on per process instead of failing the request (decision 033).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import BaseThrottle

from cases.api.auth import client_of
from returnpath.resilience import shared_or_local

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str, fallback: str) -> tuple[int, int]:
    """'600/min' → (600, 60); an unreadable rate falls back rather than failing requests."""
    for candidate in (rate, fallback):
        try:
            num, period = candidate.split("/")
            return max(1, int(num)), _PERIODS[period.strip()[0].lower()]
        except (AttributeError, ValueError, KeyError, IndexError):
            continue
    return 600, 60


def _count(cache, bucket: str, duration: int) -> int:
    if isinstance(cache, RedisCache):
        # One round trip, not three (add, then incr's EXISTS and INCR): INCR creates the counter,
        # EXPIRE NX dates only a new one, both in one MULTI so a counter never lives on undated.
        key = cache.make_and_validate_key(bucket)
        with cache._cache.get_client(key, write=True).pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, duration + 5, nx=True)
            return pipe.execute()[0]
    cache.add(bucket, 0, timeout=duration + 5)
    try:
        return cache.incr(bucket)
    except ValueError:  # the bucket expired between add and incr
        cache.add(bucket, 1, timeout=duration + 5)
        return 1


def _hit(key: str, limit: int, duration: int) -> tuple[bool, float]:
    now = time.time()
    window = int(now // duration)
    bucket = f"{key}:{window}"
    count = shared_or_local(lambda cache: _count(cache, bucket, duration))
    wait = (window + 1) * duration - now
    return count <= limit, wait


class ClientRateThrottle(BaseThrottle):
    """The client's own ``throttle_rate`` (e.g. "600/min")."""

    def allow_request(self, request, view) -> bool:
        client = client_of(request)
        if client is None:
            return True
        limit, duration = parse_rate(client.throttle_rate, settings.RETURNPATH_API_DEFAULT_THROTTLE)
        allowed, self._wait = _hit(f"api-throttle:client:{client.pk}", limit, duration)
        return allowed

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def auth_failures_exceeded(request) -> float | None:
    """Seconds to wait when this address failed to authenticate too often, else None."""
    limit, duration = parse_rate(settings.RETURNPATH_API_ANON_THROTTLE, "120/min")
    window = int(time.time() // duration)
    bucket = f"api-throttle:authfail:{_address(request)}:{window}"
    count = shared_or_local(lambda cache: cache.get(bucket)) or 0
    if count >= limit:
        return (window + 1) * duration - time.time()
    return None


def record_auth_failure(request) -> None:
    limit, duration = parse_rate(settings.RETURNPATH_API_ANON_THROTTLE, "120/min")
    _hit(f"api-throttle:authfail:{_address(request)}", limit, duration)
