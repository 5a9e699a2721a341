"""Housekeeping of the case core (Celery beat, daily): thin tasks that call a service."""

from celery import shared_task

from cases.api.auth import purge_expired_tokens
from cases.api.idempotency import purge_expired
from cases.services.retention import pseudonymise_expired_cases


@shared_task(name="cases.pseudonymise_expired", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def pseudonymise_expired() -> int:
    """Idempotent: people already pseudonymised are skipped."""
    return pseudonymise_expired_cases()


@shared_task(name="cases.purge_idempotency_keys", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def purge_idempotency_keys() -> int:
    return purge_expired()


@shared_task(name="cases.purge_expired_api_tokens", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def purge_expired_api_tokens() -> int:
    return purge_expired_tokens()


@shared_task(name="cases.remind_return_timers", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def remind_return_timers() -> int:
    """Idempotent: a timer reminds once per due date (cases.returns.timers)."""
    from cases.returns.timers import remind_due_consular_requests

    return remind_due_consular_requests()


@shared_task(name="cases.process_order_batch", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def process_order_batch(batch_id: str) -> int:
    """Idempotent: only the batch's pending orders are processed (queue ``batches``)."""
    from cases.api.batch import process_order_batch as process

    return process(batch_id=batch_id).processed


@shared_task(name="cases.resume_order_batches", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def resume_order_batches() -> int:
    from cases.api.batch import resume_stalled_batches

    return resume_stalled_batches()
