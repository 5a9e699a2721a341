"""Batches of orders as jobs (issue 13, item 4; decision 034).

``POST /api/v1/orders/batch/`` stores the orders and answers ``202`` with a status URL; the
``cases.process_order_batch`` task (queue ``batches``, never the queue or the web workers that
single orders use) settles them chunk by chunk. Each chunk is one transaction that locks its
pending items, reads each order with the API's serializer, has
:func:`cases.services.order_batches.settle_orders` settle them and stores each order's answer
with it: a worker killed mid-batch loses nothing, and a redelivered task carries on with the
items still pending. ``GET`` on the status URL reads every order's answer.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from cases.api.compiled import compile_parser
from cases.api.models import OrderBatch, OrderBatchItem
from cases.api.problems import flatten_errors
from cases.api.serializers import OrderSerializer, order_data
from cases.models import Case
from cases.services import order_batches
from offices.models import Office
from returnpath.actors import Actor, User
from returnpath.copying import CopyWriter
from returnpath.resilience import enqueue

logger = logging.getLogger("returnpath.api")
STATUSES = ("created", "existing", "conflict", "invalid", "error")


def chunk_size() -> int:
    return max(1, settings.RETURNPATH_API_BATCH_CHUNK)


def _enqueue(batch_id) -> None:
    """Queue the batch now; if the broker is down, the resume task finds it within a minute."""
    from cases.tasks import process_order_batch

    enqueue(process_order_batch, batch_id=str(batch_id))


# A NUL character as JSON writes it, not preceded by an escaped backslash ("\\u0000" is text).
_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def _holds_nul(value: object) -> bool:
    text = json.dumps(value)
    # The plain substring test first: the pattern's look-behind costs ~30 ms on a batch's text.
    return "\\u0000" in text and bool(_NUL.search(text))


def _line(index: int, raw: object) -> dict:
    """What every answer of an item starts with: its place and the reference it was sent with."""
    reference = raw.get("external_reference") if isinstance(raw, dict) else None
    return {"index": index, "external_reference": reference if isinstance(reference, str) else None}


def _refused_at_accept(index: int, raw: object) -> dict:
    """The answer of an order holding a NUL character: PostgreSQL's ``jsonb`` cannot keep it as
    an item, and no text field accepts it. The serializer's own errors, as when sent alone."""
    line = _line(index, raw)
    serializer = OrderSerializer(data=raw)
    if serializer.is_valid():  # the NUL was where no field reads it
        errors = [{"code": "null_characters_not_allowed", "detail": str(_("Null characters are not allowed.")),
                   "attr": None, "pointer": ""}]
    else:
        errors = flatten_errors(serializer.errors)
    return _without_nul({**line, "status": "invalid", "errors": errors})


def _without_nul(value):
    """The answer is kept as ``jsonb`` too: no NUL in it, should an error ever quote the value."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


@transaction.atomic
def accept_order_batch(*, actor: User, client, orders: list) -> OrderBatch:
    """Store the orders as a job and queue it after commit (the items in one COPY on PostgreSQL).

    An order holding a NUL character is answered at once (``_refused_at_accept``), with no payload."""
    refused = {index: _refused_at_accept(index, raw) for index, raw in enumerate(orders) if _holds_nul(raw)} if _holds_nul(orders) else {}
    batch = OrderBatch.objects.create(client=client, actor=actor, total=len(orders), processed=len(refused))
    items = [(index, None if index in refused else raw, refused.get(index)) for index, raw in enumerate(orders)]
    if connection.vendor == "postgresql":
        writer = CopyWriter(OrderBatchItem, now=timezone.now(), generated_id=True)
        for index, raw, result in items:
            writer.add({"batch_id": batch.pk, "index": index, "payload": raw, "result": result})
        writer.flush()
    else:
        OrderBatchItem.objects.bulk_create(
            [OrderBatchItem(batch=batch, index=index, payload=raw, result=result) for index, raw, result in items], batch_size=500
        )
    transaction.on_commit(partial(_enqueue, batch.pk))
    return batch


def process_order_batch(*, batch_id) -> OrderBatch:
    """Settle every pending order of the batch, one committed chunk at a time (idempotent)."""
    OrderBatch.objects.filter(pk=batch_id, started_at__isnull=True).update(started_at=timezone.now(), status=OrderBatch.Status.RUNNING)
    batch = OrderBatch.objects.select_related("client", "actor").get(pk=batch_id)
    size = chunk_size()
    while _process_chunk(batch) == size:  # a short chunk took every pending item not locked by another worker
        pass
    if not batch.items.filter(result__isnull=True).exists():
        OrderBatch.objects.filter(pk=batch.pk).exclude(status=OrderBatch.Status.DONE).update(
            status=OrderBatch.Status.DONE, finished_at=timezone.now()
        )
    batch.refresh_from_db()
    return batch


def resume_stalled_batches(*, older_than_seconds: int = 120) -> int:
    """Batches not done and untouched for a while (lost message, killed worker): queue them again."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    ids = list(OrderBatch.objects.exclude(status=OrderBatch.Status.DONE).filter(updated_at__lt=cutoff).values_list("pk", flat=True))
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def _process_chunk(batch: OrderBatch) -> int:
    with transaction.atomic():
        items = list(
            batch.items.filter(result__isnull=True).order_by("index").select_for_update(skip_locked=True)
            .values_list("index", "payload")[:chunk_size()]
        )
        if not items:
            return 0
        results, retry = settle_orders(actor=batch.actor, client=batch.client, items=items)
        _store_results(batch, results)
        OrderBatch.objects.filter(pk=batch.pk).update(processed=F("processed") + len(results), updated_at=timezone.now())
    for index, data in retry:  # deadlocked against a concurrent request: once more, alone
        with transaction.atomic():
            item = batch.items.select_for_update().get(index=index)
            if item.result is None:
                item.result = order_batches.open_one(actor=batch.actor, client=batch.client, index=index, data=data, final=True)[1]
                item.save(update_fields=["result"])
                OrderBatch.objects.filter(pk=batch.pk).update(processed=F("processed") + 1, updated_at=timezone.now())
    return len(items)


def _store_results(batch: OrderBatch, results: dict[int, dict]) -> None:
    """Each settled item's answer, in one UPDATE (PostgreSQL) instead of one per item."""
    if not results:
        return
    if connection.vendor != "postgresql":
        items = list(batch.items.filter(index__in=list(results)))
        for item in items:
            item.result = results[item.index]
        OrderBatchItem.objects.bulk_update(items, ["result"])
        return
    indexes = sorted(results)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {OrderBatchItem._meta.db_table} AS item SET result = answer.result::jsonb "  # noqa: S608 - table from _meta
            "FROM unnest(%s::integer[], %s::text[]) AS answer(index, result) "
            "WHERE item.batch_id = %s AND item.index = answer.index",
            [indexes, [json.dumps(results[index]) for index in indexes], batch.pk],
        )


def settle_orders(*, actor: Actor, client, items: list[tuple[int, object]]) -> tuple[dict[int, dict], list]:
    """The answer of each (index, raw order); orders to retry alone come back in the second list.

    The API's part is reading each raw order with the API's serializer; settling the valid ones
    is the service's (:func:`cases.services.order_batches.settle_orders`). An answer names its
    case by id (``case_id``); the status view renders it for the reader.
    """
    results: dict[int, dict] = {}
    valid = []
    parser = OrderSerializer()  # one set of fields for every order (DRF builds them per instance)
    parse = compile_parser(parser)  # the same fields without DRF's wrappers; None: ask the parser (decision 116)
    for index, raw in items:
        line = _line(index, raw)
        if isinstance(raw, dict):
            try:
                validated = parse(raw)
                valid.append((index, order_data(parser.run_validation(raw) if validated is None else validated)))
            except ValidationError as exc:  # what is_valid() keeps as .errors
                results[index] = {**line, "status": "invalid", "errors": flatten_errors(exc.detail)}
            continue
        serializer = OrderSerializer(data=raw)
        if serializer.is_valid():
            valid.append((index, order_data(serializer.validated_data)))
        else:
            results[index] = {**line, "status": "invalid", "errors": flatten_errors(serializer.errors)}
    settled, retry = order_batches.settle_orders(actor=actor, client=client, orders=valid)
    results.update(settled)
    return results, retry


def batch_answer(request, batch: OrderBatch, *, answer_for) -> dict:
    """The job's state and every order's answer so far (``pending`` until processed)."""
    # A pending item's line needs only its reference: read that, not the whole order.
    items = list(batch.items.order_by("index").values_list("index", "payload__external_reference", "result"))
    case_ids = {result["case_id"] for _i, _r, result in items if result and result.get("case_id")}
    # The cases' columns, then their (few) offices and counsellors: no model instance per case.
    cases = {row[0]: row for row in Case.objects.filter(pk__in=case_ids)
             .values_list("id", "state", "departure_deadline", "office_id", "counsellor_id")}
    offices = Office.objects.only("id", "name").in_bulk({row[3] for row in cases.values() if row[3]})
    counsellors = User.objects.only("id", "first_name", "last_name").in_bulk({row[4] for row in cases.values() if row[4]})
    counts = dict.fromkeys(STATUSES, 0)
    lines = []
    for index, reference, result in items:
        if result is None:
            lines.append({"index": index, "external_reference": reference if isinstance(reference, str) else None,
                          "status": "pending"})
            continue
        line = {key: value for key, value in result.items() if key != "case_id"}
        if result.get("case_id") in cases:
            case_id, state, deadline, office_id, counsellor_id = cases[result["case_id"]]
            line["case"] = answer_for(request, case_id=case_id, state=state, departure_deadline=deadline,
                                      office=offices.get(office_id), counsellor=counsellors.get(counsellor_id))
        counts[line["status"]] += 1
        lines.append(line)
    counts["pending"] = sum(1 for line in lines if line["status"] == "pending")
    return {
        "id": str(batch.pk), "url": request.build_absolute_uri(f"/api/v1/orders/batch/{batch.pk}/"),
        "status": batch.status, "total": batch.total, "processed": batch.total - counts["pending"],
        "received_at": batch.created_at.isoformat(), "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "counts": counts, "results": lines,
    }
