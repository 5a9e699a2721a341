"""Prometheus metrics at ``/metrics``, behind a bearer token (``RETURNPATH_METRICS_TOKEN``).

- per view: requests (by method and status) and latency, counted by a middleware;
- Celery: tasks run, failed and their durations, counted by signals in the worker;
- read from the database at scrape time, by collectors the apps register in their
  AppConfig.ready (``register_collector``; this package never imports an app): open cases by
  state (cases), messages by status (claimed, uncertain, sent, ...), sweep lag (age of the oldest
  due item), seconds since each sweep last finished, abandoned runs, unplannable cases
  (counselling); and the depth of each Celery queue in Redis.

With several processes (gunicorn workers, Celery workers) set ``PROMETHEUS_MULTIPROC_DIR`` to a
folder they share: prometheus_client then adds up every process's counts. No label carries
personal data: views by name, tasks by name, states and statuses.
"""

from __future__ import annotations

import hmac
import os
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter("returnpath_http_requests_total", "HTTP requests answered", ["view", "method", "status"])
LATENCY = Histogram("returnpath_http_request_duration_seconds", "Time to answer a request", ["view", "method"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
TASKS = Counter("returnpath_celery_tasks_total", "Celery tasks finished", ["task", "outcome"])
TASK_DURATION = Histogram("returnpath_celery_task_duration_seconds", "Time a Celery task ran", ["task"],
                          buckets=(0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900))


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match and match.view_name else "unresolved"
        LATENCY.labels(view=view, method=request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(view=view, method=request.method, status=str(response.status_code)).inc()
        return response


# --- Celery (connected in returnpath.celery) --------------------------------------------------
_started: dict[str, float] = {}


def task_started(task_id=None, **_kwargs) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, state=None, **_kwargs) -> None:
    began = _started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    if began is not None:
        TASK_DURATION.labels(task=name).observe(time.perf_counter() - began)
    TASKS.labels(task=name, outcome="failure" if state == "FAILURE" else "success").inc()


# --- read at scrape time ------------------------------------------------------------------------
# The project package sits below the apps and never imports them: each app registers the figures
# it holds (cases: open cases by state; counselling: messages, sweeps) from its AppConfig.ready.
_app_collectors: list = []


def register_collector(collector) -> None:
    """Add an app's collector (an object with ``collect()`` yielding metric families), read at each scrape."""
    if collector not in _app_collectors:
        _app_collectors.append(collector)


class DatabaseCollector:
    """Figures the database (and the broker) hold, read when Prometheus scrapes."""

    def collect(self):
        for collector in _app_collectors:
            yield from collector.collect()

        depth = GaugeMetricFamily("returnpath_queue_depth", "Messages waiting in each Celery queue", labels=["queue"])
        for queue, length in _queue_depths().items():
            depth.add_metric([queue], length)
        yield depth


def _queue_depths() -> dict[str, int]:
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith(("redis://", "rediss://")):
        return {}
    try:
        import redis

        client = redis.Redis.from_url(broker, socket_connect_timeout=0.5, socket_timeout=0.5)
        return {queue.name: int(client.llen(queue.name)) for queue in settings.CELERY_TASK_QUEUES}
    except Exception:  # the broker is down: no figure rather than no metrics
        return {}


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY, TASKS, TASK_DURATION):
            registry.register(collector)
    registry.register(DatabaseCollector())
    return registry


def _authorised(request) -> bool:
    token = settings.RETURNPATH_METRICS_TOKEN
    if not token:
        return False
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
def metrics(request):
    if not _authorised(request):
        raise Http404  # not advertised to whoever does not hold the token
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
