"""Batches of orders as jobs (issue 13, item 4; decision 034).

``POST /api/v1/orders/batch/`` stores the orders and answers ``202`` with a status URL; the
``cases.process_order_batch`` task (queue ``batches``, never the queue or the web workers that
single orders use) settles them chunk by chunk. Each chunk is one transaction that locks its
pending items, runs every order through :func:`cases.services.open_case_from_order` and stores
each order's answer with it: a worker killed mid-batch loses nothing, and a redelivered task
carries on with the items still pending. ``GET`` on the status URL reads every order's answer.
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from cases.api.problems import flatten_errors
from cases.api.serializers import OrderSerializer, order_data
from cases.models import Case, OrderBatch, OrderBatchItem, OrderToLeave
from cases.services import open_case_from_order
from cases.services.order_batches import bulk_eligible, open_new_cases_in_bulk
from returnpath.actors import Actor, User
from returnpath.errors import Conflict, DomainError
from returnpath.resilience import enqueue

logger = logging.getLogger("returnpath.api")
STATUSES = ("created", "existing", "conflict", "invalid", "error")


def chunk_size() -> int:
    return max(1, settings.RETURNPATH_API_BATCH_CHUNK)


def _enqueue(batch_id) -> None:
    """Queue the batch now; if the broker is down, the resume task finds it within a minute."""
    from cases.tasks import process_order_batch

    enqueue(process_order_batch, batch_id=str(batch_id))


@transaction.atomic
def accept_order_batch(*, actor: User, client, orders: list) -> OrderBatch:
    """Store the orders as a job and queue it after commit."""
    batch = OrderBatch.objects.create(client=client, actor=actor, total=len(orders))
    OrderBatchItem.objects.bulk_create(
        [OrderBatchItem(batch=batch, index=index, payload=raw) for index, raw in enumerate(orders)], batch_size=500
    )
    transaction.on_commit(partial(_enqueue, batch.pk))
    return batch


def process_order_batch(*, batch_id) -> OrderBatch:
    """Settle every pending order of the batch, one committed chunk at a time (idempotent)."""
    OrderBatch.objects.filter(pk=batch_id, started_at__isnull=True).update(started_at=timezone.now(), status=OrderBatch.Status.RUNNING)
    batch = OrderBatch.objects.select_related("client", "actor").get(pk=batch_id)
    while _process_chunk(batch):
        pass
    if not batch.items.filter(result__isnull=True).exists():
        OrderBatch.objects.filter(pk=batch.pk).exclude(status=OrderBatch.Status.DONE).update(
            status=OrderBatch.Status.DONE, finished_at=timezone.now()
        )
    batch.refresh_from_db()
    return batch


def resume_stalled_batches(*, older_than_seconds: int = 120) -> int:
    """Batches not done and untouched for a while (lost message, killed worker): queue them again."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    ids = list(OrderBatch.objects.exclude(status=OrderBatch.Status.DONE).filter(updated_at__lt=cutoff).values_list("pk", flat=True))
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def _process_chunk(batch: OrderBatch) -> int:
    with transaction.atomic():
        items = list(
            batch.items.filter(result__isnull=True).order_by("index").select_for_update(skip_locked=True)[:chunk_size()]
        )
        if not items:
            return 0
        results, retry = settle_orders(actor=batch.actor, client=batch.client, items=[(i.index, i.payload) for i in items])
        done = [item for item in items if item.index in results]
        for item in done:
            item.result = results[item.index]
        OrderBatchItem.objects.bulk_update(done, ["result"])
        OrderBatch.objects.filter(pk=batch.pk).update(processed=F("processed") + len(done), updated_at=timezone.now())
    for index, data in retry:  # deadlocked against a concurrent request: once more, alone
        with transaction.atomic():
            item = batch.items.select_for_update().get(index=index)
            if item.result is None:
                item.result = _open_one(batch.actor, batch.client, index, data, final=True)[1]
                item.save(update_fields=["result"])
                OrderBatch.objects.filter(pk=batch.pk).update(processed=F("processed") + 1, updated_at=timezone.now())
    return len(items)


def settle_orders(*, actor: Actor, client, items: list[tuple[int, object]]) -> tuple[dict[int, dict], list]:
    """The answer of each (index, raw order); orders to retry alone come back in the second list.

    An answer names its case by id (``case_id``); the status view renders it for the reader.
    """
    results: dict[int, dict] = {}
    valid = []
    parser = OrderSerializer()  # one set of fields for every order (DRF builds them per instance)
    for index, raw in items:
        reference = raw.get("external_reference") if isinstance(raw, dict) else None
        line = {"index": index, "external_reference": reference if isinstance(reference, str) else None}
        if isinstance(raw, dict):
            try:
                valid.append((index, order_data(parser.run_validation(raw))))
            except ValidationError as exc:  # what is_valid() keeps as .errors
                results[index] = {**line, "status": "invalid", "errors": flatten_errors(exc.detail)}
            continue
        serializer = OrderSerializer(data=raw)
        if serializer.is_valid():
            valid.append((index, order_data(serializer.validated_data)))
        else:
            results[index] = {**line, "status": "invalid", "errors": flatten_errors(serializer.errors)}

    known = {
        order.external_reference: (order.content_hash, order.case_id)
        for order in OrderToLeave.objects.filter(client=client, external_reference__in=[d.external_reference for _i, d in valid])
    }

    def settle(index, data, content_hash, case_id, status):
        line = {"index": index, "external_reference": data.external_reference}
        if content_hash != data.content_hash():
            results[index] = {**line, "status": "conflict", "errors": [{
                "code": "reference_conflict", "attr": "external_reference", "pointer": "/external_reference",
                "detail": _("An order with this reference was already received with different content.")}]}
        else:
            results[index] = {**line, "status": status, "case_id": case_id}

    new, repeats, first_of = [], [], {}
    for index, data in valid:
        reference = data.external_reference
        if reference in known:
            content_hash, case_id = known[reference]
            settle(index, data, content_hash, case_id, "existing")
        elif reference in first_of:
            repeats.append((index, data))  # the same reference twice in this chunk: after the first
        else:
            first_of[reference] = (index, data)
            new.append((index, data))

    retry = []
    for run, in_bulk in _runs(actor, client, new):
        if in_bulk:
            try:
                opened = open_new_cases_in_bulk(actor=actor, client=client, orders=run)
            except DatabaseError:  # e.g. deadlocked against a concurrent request: one by one, later
                retry += run
                continue
            for index, data in run:
                results[index] = {"index": index, "external_reference": data.external_reference, "status": "created",
                                  "case_id": opened[index].pk}
            continue
        for index, data in run:
            done, line = _open_one(actor, client, index, data)
            if done:
                results[index] = line
            else:
                retry.append((index, data))

    for index, data in repeats:
        first_index, first_data = first_of[data.external_reference]
        first = results.get(first_index)
        if first is None:
            retry.append((index, data))
        elif first["status"] in ("created", "existing"):
            settle(index, data, first_data.content_hash(), first["case_id"], "existing")
        else:
            results[index] = {**first, "index": index}
    return results, retry


def _runs(actor: Actor, client, orders: list) -> list[tuple[list, bool]]:
    """The orders in index order, cut into runs opened in bulk (new people, decision 062) and runs
    taken one by one through the single path; the order of the runs keeps the results the same."""
    if not settings.RETURNPATH_API_BATCH_BULK:
        return [(orders, False)] if orders else []
    eligible = bulk_eligible(client=client, orders=orders)
    runs: list[tuple[list, bool]] = []
    for index, data in orders:
        in_bulk = index in eligible
        if runs and runs[-1][1] == in_bulk:
            runs[-1][0].append((index, data))
        else:
            runs.append(([(index, data)], in_bulk))
    return runs


def _open_one(actor: Actor, client, index, data, *, final: bool = False) -> tuple[bool, dict | None]:
    line = {"index": index, "external_reference": data.external_reference}
    try:
        result = open_case_from_order(actor=actor, data=data, client=client)
    except Conflict as exc:
        if exc.code == "retry" and not final:
            return False, None
        code = "reference_conflict" if exc.code == "reference_conflict" else exc.code
        return True, {**line, "status": "conflict" if code == "reference_conflict" else "error",
                      "errors": [{"code": code, "detail": exc.message, "attr": "external_reference", "pointer": "/external_reference"}]}
    except DomainError as exc:
        return True, {**line, "status": "invalid",
                      "errors": [{"code": exc.code, "detail": d, "attr": None, "pointer": ""} for d in exc.details or [exc.message]]}
    except DatabaseError:
        if not final:
            return False, None
        return True, {**line, "status": "error", "errors": [
            {"code": "retry", "attr": None, "pointer": "", "detail": _("This order could not be recorded now; send it again.")}]}
    return True, {**line, "status": "created" if result.created else "existing", "case_id": result.case.pk}


def batch_answer(request, batch: OrderBatch, *, answer_for) -> dict:
    """The job's state and every order's answer so far (``pending`` until processed)."""
    items = list(batch.items.order_by("index").values_list("index", "payload", "result"))
    case_ids = {result["case_id"] for _i, _p, result in items if result and result.get("case_id")}
    cases = {case.pk: case for case in Case.objects.filter(pk__in=case_ids).select_related("office", "counsellor")}
    counts = dict.fromkeys(STATUSES, 0)
    lines = []
    for index, payload, result in items:
        if result is None:
            reference = payload.get("external_reference") if isinstance(payload, dict) else None
            lines.append({"index": index, "external_reference": reference if isinstance(reference, str) else None,
                          "status": "pending"})
            continue
        line = {key: value for key, value in result.items() if key != "case_id"}
        if result.get("case_id") in cases:
            line["case"] = answer_for(request, cases[result["case_id"]])
        counts[line["status"]] += 1
        lines.append(line)
    counts["pending"] = sum(1 for line in lines if line["status"] == "pending")
    return {
        "id": str(batch.pk), "url": request.build_absolute_uri(f"/api/v1/orders/batch/{batch.pk}/"),
        "status": batch.status, "total": batch.total, "processed": batch.total - counts["pending"],
        "received_at": batch.created_at.isoformat(), "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "counts": counts, "results": lines,
    }
