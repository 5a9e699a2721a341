"""Production start-up refuses unsafe settings (issue 13, item 8).

Django's ``check --deploy`` only warns, and only when someone runs it; these refuse to start:
a production process with DEBUG on, the development secret key (or a short one), SQLite, or
Celery's filesystem broker (a folder on one machine, lost with it) is a misconfiguration.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

DEV_KEY_MARKERS = ("dev-only", "django-insecure", "change-me")


def unsafe_settings(namespace: dict) -> list[str]:
    problems = []
    if namespace.get("DEBUG"):
        problems.append("DJANGO_DEBUG is on")
    key = namespace.get("SECRET_KEY") or ""
    if len(key) < 50 or any(marker in key for marker in DEV_KEY_MARKERS):
        problems.append("DJANGO_SECRET_KEY is a development, placeholder or short key (50 random characters or more)")
    if "sqlite" in namespace["DATABASES"]["default"]["ENGINE"]:
        problems.append("DATABASE_URL points to SQLite (use PostgreSQL)")
    if str(namespace.get("CELERY_BROKER_URL", "")).startswith("filesystem://"):
        problems.append("the Celery broker is the filesystem (set REDIS_URL or CELERY_BROKER_URL)")
    return problems


def refuse_unsafe_settings(namespace: dict) -> None:
    problems = unsafe_settings(namespace)
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems) + ".")
