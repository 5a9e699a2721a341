"""``/healthz``: the process answers. ``/readyz``: every part the service needs answers.

Neither carries personal data: only the names of the parts and ok / failing, and the age of
the heartbeats in seconds.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> str | None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return None


def _migrations() -> str | None:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return f"{len(pending)} migration(s) not applied" if pending else None


def _redis() -> str | None:
    if not settings.REDIS_URL:
        return None  # not configured: the cache is local and the broker is the filesystem
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    return None


CHECKS = {
    "database": _database,
    "migrations": _migrations,
    "redis": _redis,
}
# Without the database nothing else can be asked.
NEEDS_DATABASE = ["migrations"]


def register_check(name: str, check, *, needs_database: bool = True) -> None:
    """Add an app's readiness check (``check() -> problem or None``); apps call it from AppConfig.ready,
    so the project package never imports them (counselling registers the beat and worker heartbeats)."""
    CHECKS[name] = check
    if needs_database and name not in NEEDS_DATABASE:
        NEEDS_DATABASE.append(name)


def readiness() -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and results.get("database") != "ok":
            results[name] = "not checked"
            continue
        try:
            problem = check()
        except Exception as error:  # any failure of a part is that part failing, never a 500
            problem = type(error).__name__
        results[name] = "ok" if problem is None else f"failing: {problem}"
    return results


@never_cache
@require_GET
def readyz(request):
    results = readiness()
    failing = [name for name, state in results.items() if state != "ok"]
    response = JsonResponse({"status": "failing" if failing else "ok", "failing": failing, "checks": results},
                            status=503 if failing else 200)
    if failing:
        response["Retry-After"] = str(settings.RETURNPATH_RETRY_AFTER_SECONDS)
    return response
