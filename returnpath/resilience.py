"""Redis is a convenience, not a single point of failure (issue 13, item 2; decision 033).

- :func:`shared_or_local` runs a cache operation on the shared cache (Redis) and, when Redis
  does not answer, on a cache local to this process instead, remembering the failure for a few
  seconds so that later requests do not each wait for a connection timeout. Throttling then
  counts per process: a little more lenient for the time of the outage, never a 500.
- :class:`DependencyDownMiddleware` turns an error of a truly required dependency (the
  database) into a 503 with ``Retry-After`` — problem+json under ``/api/`` — never a 500.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils.translation import gettext as _

from returnpath.middleware import current_request_id

logger = logging.getLogger("returnpath.resilience")
T = TypeVar("T")

_down_until = 0.0
_state_lock = threading.Lock()


def _shared_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [ConnectionError, TimeoutError, OSError]
    try:
        import redis

        errors.append(redis.RedisError)
    except ImportError:  # pragma: no cover - redis is a requirement
        pass
    return tuple(errors)


SHARED_ERRORS = _shared_errors()


def shared_cache_down() -> bool:
    return time.monotonic() < _down_until


def _mark_down(error: BaseException) -> None:
    global _down_until
    with _state_lock:
        first = not shared_cache_down()
        _down_until = time.monotonic() + settings.RETURNPATH_CACHE_RETRY_SECONDS
    if first:
        logger.warning("Shared cache unreachable (%s); using this process's cache for %ss",
                       type(error).__name__, settings.RETURNPATH_CACHE_RETRY_SECONDS)


def shared_or_local(operation: Callable[..., T]) -> T:
    """``operation(cache)`` on the shared cache, or on this process's cache while it is down."""
    if not shared_cache_down():
        try:
            return operation(caches["default"])
        except SHARED_ERRORS as error:
            _mark_down(error)
    return operation(caches["local"])


def reset() -> None:
    """Forget a remembered outage (tests)."""
    global _down_until, _broker_down_until
    _down_until = _broker_down_until = 0.0


# --- the broker ----------------------------------------------------------------------------
_broker_down_until = 0.0


def enqueue(task, **kwargs) -> bool:
    """Queue a task now, or log and carry on when the broker is down: the database says what is
    due and a sweep or resume task finds the work. A failure is remembered for a few seconds so
    that requests do not each wait for a broker connection timeout."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        logger.info("Broker marked down; %s left for the sweeps", task.name)
        return False
    try:
        task.apply_async(kwargs=kwargs, retry=False)
        return True
    except Exception:  # broker unreachable: the database still says what is due
        _broker_down_until = time.monotonic() + settings.RETURNPATH_CACHE_RETRY_SECONDS
        logger.warning("Could not queue %s; the next sweep will do it", task.name, exc_info=True)
        return False


# --- a required dependency is down ------------------------------------------------------------
REQUIRED_ERRORS = (OperationalError, InterfaceError)


def service_unavailable(request, *, what: str) -> HttpResponse:
    retry = str(settings.RETURNPATH_RETRY_AFTER_SECONDS)
    request_id = getattr(request, "request_id", None) or current_request_id()
    if request.path.startswith("/api/"):
        body = {
            "type": request.build_absolute_uri("/api/problems/service-unavailable/"),
            "title": str(_("The service is temporarily unavailable.")),
            "status": 503,
            "detail": str(_("A service we depend on (%(what)s) does not answer; retry in %(seconds)s seconds.")
                          % {"what": what, "seconds": retry}),
            "instance": request.path,
            "request_id": request_id,
            "errors": [{"code": "service_unavailable", "detail": what, "attr": None, "pointer": ""}],
        }
        response = HttpResponse(json.dumps(body), status=503, content_type="application/problem+json")
    else:
        template = loader.get_template("503.html")
        response = HttpResponse(template.render({"request_id": request_id, "retry_after": retry}), status=503)
    response["Retry-After"] = retry
    return response


class DependencyDownMiddleware:
    """A database that does not answer is a 503 with Retry-After, not a 500 (and not HTML under /api/)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, REQUIRED_ERRORS) or (
            isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
        ):
            logger.error("Database unavailable during %s %s: %s", request.method, request.path, type(exception).__name__)
            from django.db import connections

            for conn in connections.all(initialized_only=True):
                conn.close_if_unusable_or_obsolete()
            return service_unavailable(request, what="database")
        return None
