"""Celery tasks: thin, ids in, a sweep or a service called, retry policy here.

Every task here is idempotent (the database says what is due, rows are claimed under a lock),
so each one sets ``acks_late=True``: a worker killed mid-task leaves the message to be
redelivered, and running it again changes nothing that was already done. The project default
stays ``acks_late=False`` for any task that is not.
"""

from __future__ import annotations

import logging

from celery import shared_task

from counselling import messaging, sweeps
from counselling.dashboards import cache as dashboard_cache
from counselling.scheduling import plan_next_for_case
from returnpath.resilience import enqueue as resilient_enqueue

logger = logging.getLogger("returnpath.tasks")

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="counselling.plan_next_conversation", **IDEMPOTENT)
def plan_next_conversation(case_id: int) -> int | None:
    conversation = plan_next_for_case(case_id=case_id)
    return conversation.pk if conversation else None


@shared_task(name="counselling.plan_next_conversations", **IDEMPOTENT)
def plan_next_conversations(case_ids: list[int]) -> int:
    """The intakes of cases opened in bulk (decision 062): one message for the batch."""
    return sum(1 for case_id in case_ids if plan_next_for_case(case_id=case_id) is not None)


@shared_task(name="counselling.send_invitation", **IDEMPOTENT)
def send_invitation(conversation_id: int) -> dict:
    return messaging.send_for_conversation(conversation_id=conversation_id)


@shared_task(name="counselling.sweep", **IDEMPOTENT)
def run_sweep(name: str) -> dict:
    return sweeps.RUNNERS[name]()


@shared_task(name="counselling.sweep_all", **IDEMPOTENT)
def run_all_sweeps() -> dict:
    """Every sweep once, in order (planning first, so new conversations get their invitation)."""
    return {name: sweeps.RUNNERS[name]() for name in sweeps.SWEEPS}


def enqueue(task, **kwargs) -> None:
    """Queue a task now; if the broker is down, log and let the sweep find the work later.

    Called from ``transaction.on_commit``: the row exists, so losing the message loses nothing.
    """
    resilient_enqueue(task, **kwargs)


@shared_task(name="counselling.warm_dashboards", **IDEMPOTENT)
def warm_dashboards() -> dict:
    from returnpath.db_routing import reporting_reads

    with reporting_reads():
        return dashboard_cache.warm_dashboards()


@shared_task(name="counselling.fold_dashboard_tallies", **IDEMPOTENT)
def fold_dashboard_tallies() -> None:
    """The tallies' deltas folded into one row per key (decisions 065, 110). Readers sum every row,
    so how often this runs changes how many rows they read, never a figure."""
    from counselling.dashboards import tally

    tally.compact()


@shared_task(name="counselling.heartbeat", ignore_result=True)
def heartbeat(sent_at: str | None = None) -> None:
    """Beat sends it every half minute with the time it was sent; the worker that runs it records
    both, so /readyz sees whether beat and a worker are alive (issue 13, item 9)."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from counselling.models import ServiceHeartbeat

    now = timezone.now()
    ServiceHeartbeat.objects.update_or_create(name="worker", defaults={"at": now})
    beat_at = parse_datetime(sent_at) if sent_at else now
    assert beat_at is not None  # beat stamps an ISO time on it (returnpath.celery._stamp_heartbeat)
    ServiceHeartbeat.objects.update_or_create(name="beat", defaults={"at": beat_at})
