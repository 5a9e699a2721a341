"""Sweeps that die are seen (issue 13, item 6): a run without a heartbeat for the lease is abandoned."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from counselling import sweeps
from counselling.models import SweepRun

pytestmark = pytest.mark.django_db


def test_a_run_whose_worker_died_is_marked_abandoned_by_the_next(settings):
    settings.RETURNPATH_SWEEP_LEASE_SECONDS = 60
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    dead = SweepRun.objects.create(name=sweeps.OVERDUE, started_at=long_ago, heartbeat_at=long_ago)
    alive = SweepRun.objects.create(name=sweeps.PLAN, started_at=long_ago, heartbeat_at=timezone.now())
    sweeps.flag_overdue_conversations()
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.abandoned_at is not None and dead.finished_at is None
    assert alive.abandoned_at is None


def test_the_heartbeat_is_renewed_while_a_sweep_works(settings, monkeypatch):
    settings.RETURNPATH_SWEEP_LEASE_SECONDS = 0  # renew at every batch
    seen = []
    real = sweeps.heartbeat

    def spy():
        real()
        seen.append(SweepRun.objects.filter(finished_at__isnull=True).values_list("heartbeat_at", flat=True).first())

    monkeypatch.setattr(sweeps, "heartbeat", spy)
    with sweeps.recorded("test") as counts:
        sweeps.heartbeat()
        counts["x"] = 1
    assert seen and seen[0] is not None


def test_the_operations_view_says_a_run_was_abandoned(client, manager, settings):
    settings.RETURNPATH_SWEEP_LEASE_SECONDS = 60
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    SweepRun.objects.create(name=sweeps.MESSAGES, started_at=long_ago, heartbeat_at=long_ago)
    client.force_login(manager)
    page = client.get(reverse("operations:index"))
    status = {s.name: s for s in page.context["sweeps"]}[sweeps.MESSAGES]
    assert status.abandoned is not None and not status.running
    assert "abandoned" in page.content.decode()
