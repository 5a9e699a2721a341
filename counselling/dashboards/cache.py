"""Dashboards served from a cache that a periodic task keeps warm (decision 005).

The figures of an office are the same for everyone allowed to see that office, and the national
figures the same for every coordinator, so a computed dashboard is cached per office (and per
quarter nationally) — never per user, and only ever handed to a user the view has already
authorised for that office. The page says when its figures were computed; "Refresh" recomputes.
``RETURNPATH_DASHBOARD_MAX_AGE = 0`` turns the cache off. Without Redis the last copy this
process computed is served, or the figures are computed live (decision 033).
"""

from __future__ import annotations

from typing import TypeGuard, TypeVar

from django.conf import settings

from cases import figures
from counselling.dashboards.selectors import (
    Clock,
    NationalDashboard,
    OfficeDashboard,
    Quarter,
    national_dashboard,
    office_dashboard,
    office_dashboards,
)
from offices.models import Office
from returnpath.resilience import shared_or_local

VERSION = 1  # bump when the dashboards' dataclasses change shape; the figures' own fingerprint follows them


def _key(kind: str, part) -> str:
    # A figure added, removed or redefined (cases.figures) is a new key: never a copy computed
    # by other definitions, and no version to bump by hand.
    return f"returnpath:dashboard:v{VERSION}-{figures.fingerprint()}:{kind}:{part}"


_Dashboard = TypeVar("_Dashboard", OfficeDashboard, NationalDashboard)


def _fresh(found: _Dashboard | None, max_age: int) -> TypeGuard[_Dashboard]:
    if found is None:
        return False
    age = (Clock.start().now - found.clock.now).total_seconds()
    return 0 <= age <= max_age


def cached_office_dashboard(*, office: Office, refresh: bool = False) -> OfficeDashboard:
    max_age = settings.RETURNPATH_DASHBOARD_MAX_AGE
    key = _key("office", office.pk)
    found: OfficeDashboard | None = shared_or_local(lambda cache: cache.get(key)) if max_age and not refresh else None
    if _fresh(found, max_age):
        return found
    dashboard = office_dashboard(user=None, office=office)
    if max_age:
        shared_or_local(lambda cache: cache.set(key, dashboard, timeout=max_age))
    return dashboard


def cached_national_dashboard(*, quarter: Quarter, refresh: bool = False) -> NationalDashboard:
    max_age = settings.RETURNPATH_DASHBOARD_MAX_AGE
    key = _key("national", quarter)
    found: NationalDashboard | None = shared_or_local(lambda cache: cache.get(key)) if max_age and not refresh else None
    if _fresh(found, max_age):
        return found
    dashboard = national_dashboard(user=None, quarter=quarter)
    if max_age:
        shared_or_local(lambda cache: cache.set(key, dashboard, timeout=max_age))
    return dashboard


def cached_planning_capacity(*, office: Office, refresh: bool = False) -> tuple[int, object]:
    """(unplannable cases, earliest free slot) of the office, cached like its dashboard (decision 035)."""
    max_age = settings.RETURNPATH_DASHBOARD_MAX_AGE
    key = _key("capacity", office.pk)
    found = shared_or_local(lambda cache: cache.get(key)) if max_age and not refresh else None
    if found is not None:
        return found
    return _store_planning_capacity([office], max_age)[office.pk]


def _store_planning_capacity(offices, max_age: int) -> dict[int, tuple[int, object]]:
    """Every office's figures computed together (decision 110: a few queries, not a few per office)."""
    from counselling.overflow import planning_capacity

    found: dict[int, tuple[int, object]] = {
        office.pk: (unplannable, earliest) for office, unplannable, earliest in planning_capacity(offices)
    }
    if max_age:
        many = {_key("capacity", pk): figures for pk, figures in found.items()}
        shared_or_local(lambda cache: cache.set_many(many, timeout=max_age))
    return found


def warm_dashboards() -> dict:
    """Recompute the national dashboard (current quarter) and every counselling office's."""
    if not settings.RETURNPATH_DASHBOARD_MAX_AGE:
        return {"offices": 0, "national": 0}
    # The tallies' deltas are folded by their own beat task (decision 110), not here: a fold
    # reads every tally row (0.4–2 s at 100k–200k cases here), the rest of the cycle reads a few.
    quarter = Quarter.containing(Clock.start().today)
    cached_national_dashboard(quarter=quarter, refresh=True)
    offices = list(Office.objects.filter(kind__in=Office.COUNSELLING_KINDS, is_active=True))
    # Every office's page in one pass (decision 114): a few queries for all, not six per office.
    pages = {_key("office", pk): dashboard for pk, dashboard in office_dashboards(offices=offices).items()}
    shared_or_local(lambda cache: cache.set_many(pages, timeout=settings.RETURNPATH_DASHBOARD_MAX_AGE))
    _store_planning_capacity(offices, settings.RETURNPATH_DASHBOARD_MAX_AGE)
    return {"offices": len(offices), "national": 1}
