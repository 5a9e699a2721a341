"""The ``Idempotency-Key`` request header (IETF httpapi draft "The Idempotency-Key HTTP Header Field").

- first use of a key: the key is recorded as *in flight* (committed at once, so a concurrent
  request sees it), the request runs, its answer is stored with the key;
- same key, same request (method, path and JSON body, compared canonically): the stored answer
  is replayed, nothing runs again;
- same key, another request: 422; same key while the first request still runs: 409.

Keys are per API client and kept ``RETURNPATH_API_IDEMPOTENCY_TTL_HOURS``. Server errors (5xx)
are not stored: retrying them must run the request again.

On PostgreSQL "in flight" is a session advisory lock held by the request's own database
connection, not a row (decision 031): when the connection dies (the worker was killed, the
database restarted) the server drops the lock with it, so a retry with the same key runs as soon
as the database answers again — nothing is left to expire. The row is written only with the
answer. Elsewhere (SQLite, development) an in-flight row with a lease stands in for the lock. The orders themselves are idempotent on
their reference anyway; the key makes every POST safe to retry, including legal events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from cases.api.models import ApiClient, IdempotencyKey
from cases.api.problems import PROBLEM_CONTENT_TYPE, Problem

HEADER = "Idempotency-Key"
_KEY = re.compile(r'^"?([\x21\x23-\x5b\x5d-\x7e]{1,255})"?$')  # a structured-field string's printable ASCII


def parse_key(raw: str) -> str:
    match = _KEY.match(raw.strip())
    if not match:
        raise Problem(
            "validation-error",
            _("The Idempotency-Key header must be 1 to 255 printable ASCII characters."),
            errors=[{"code": "invalid_idempotency_key", "detail": _("Invalid Idempotency-Key."), "attr": None, "pointer": ""}],
        )
    return match.group(1)


def fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    headers = dict(row.response_headers or {})
    content_type = headers.pop("Content-Type", None)
    headers["Idempotent-Replayed"] = "true"
    return Response(json.loads(row.response_body) if row.response_body else None, status=row.response_status,
                    headers=headers, content_type=content_type)


def _claim(client: ApiClient, key: str, fp: str) -> IdempotencyKey | Response:
    """The row we own now, or the answer for a key already used."""
    now = timezone.now()
    expired_before = now - dt.timedelta(hours=settings.RETURNPATH_API_IDEMPOTENCY_TTL_HOURS)
    row: IdempotencyKey | None
    for _attempt in range(2):
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(client=client, key=key, fingerprint=fp, created_at=now)
            if secrets.randbelow(200) == 0:
                purge_expired()
            return row
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(client=client, key=key).first()
        if row is None:
            continue  # removed meanwhile (a failed first attempt): try to claim it again
        if row.created_at < expired_before:
            IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if row.fingerprint != fp:
            raise Problem("idempotency-key-reused",
                          _("This Idempotency-Key was already used with a different request; use a new key."))
        if row.response_status is not None:
            return _replay(row)
        lease_over = row.created_at < now - dt.timedelta(seconds=settings.RETURNPATH_API_IDEMPOTENCY_LEASE_SECONDS)
        if lease_over and IdempotencyKey.objects.filter(
            pk=row.pk, created_at=row.created_at, response_status__isnull=True
        ).update(created_at=now):
            row.created_at = now
            return row
        break
    raise Problem("idempotency-key-in-use",
                  _("A request with this Idempotency-Key is still being processed; retry later."),
                  headers={"Retry-After": "1"})


def _lock_id(client: ApiClient, key: str) -> int:
    digest = hashlib.blake2b(f"idempotency:{client.pk}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _in_use() -> Problem:
    return Problem("idempotency-key-in-use",
                   _("A request with this Idempotency-Key is still being processed; retry later."),
                   headers={"Retry-After": "1"})


def _store(client: ApiClient, key: str, fp: str, response: Response) -> None:
    headers = {name: response[name] for name in ("Location",) if response.has_header(name)}
    if response.content_type:
        headers["Content-Type"] = response.content_type
    elif response.status_code >= 400:
        headers["Content-Type"] = PROBLEM_CONTENT_TYPE
    IdempotencyKey.objects.update_or_create(client=client, key=key, defaults={
        "fingerprint": fp, "created_at": timezone.now(), "completed_at": timezone.now(),
        "response_status": response.status_code,
        "response_body": JSONRenderer().render(response.data).decode() if response.data is not None else "",
        "response_headers": headers,
    })


def _run_locked(*, client: ApiClient, key: str, fp: str, handler: Callable[[], Response]) -> Response:
    """PostgreSQL: the key is in flight exactly while this connection holds its advisory lock."""
    lock_id = _lock_id(client, key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_id])
        if not cursor.fetchone()[0]:
            raise _in_use()
    try:
        row = IdempotencyKey.objects.filter(client=client, key=key).first()
        expired_before = timezone.now() - dt.timedelta(hours=settings.RETURNPATH_API_IDEMPOTENCY_TTL_HOURS)
        if row is not None and row.created_at >= expired_before:
            if row.fingerprint != fp:
                raise Problem("idempotency-key-reused",
                              _("This Idempotency-Key was already used with a different request; use a new key."))
            if row.response_status is not None:
                return _replay(row)
            # A row without an answer and nobody holding the lock: its request died. Run again.
        response = handler()
        if response.status_code >= 500 or response.status_code == 429:
            IdempotencyKey.objects.filter(client=client, key=key, response_status__isnull=True).delete()
            return response
        _store(client, key, fp, response)
        if secrets.randbelow(200) == 0:
            purge_expired()
        return response
    finally:
        _unlock(lock_id)


def _unlock(lock_id: int) -> None:
    """Release the lock; if the connection is gone, so is the lock (nothing to undo)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id])
    except DatabaseError:
        connection.close_if_unusable_or_obsolete()


def run(*, request, client: ApiClient, handler: Callable[[], Response]) -> Response:
    raw = request.headers.get(HEADER)
    if raw is None:
        return handler()
    key = parse_key(raw)
    if connection.vendor == "postgresql":
        return _run_locked(client=client, key=key, fp=fingerprint(request), handler=handler)
    claimed = _claim(client, key, fingerprint(request))
    if isinstance(claimed, Response):
        return claimed
    row = claimed
    try:
        response = handler()
    except BaseException:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        raise
    if response.status_code >= 500 or response.status_code == 429:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return response
    headers = {name: response[name] for name in ("Location",) if response.has_header(name)}
    if response.content_type:
        headers["Content-Type"] = response.content_type
    elif response.status_code >= 400:
        headers["Content-Type"] = PROBLEM_CONTENT_TYPE
    IdempotencyKey.objects.filter(pk=row.pk).update(
        response_status=response.status_code,
        response_body=JSONRenderer().render(response.data).decode() if response.data is not None else "",
        response_headers=headers,
        completed_at=timezone.now(),
    )
    return response


def purge_expired() -> int:
    """Delete keys past their lifetime (called now and then by the API; cheap with the index)."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.RETURNPATH_API_IDEMPOTENCY_TTL_HOURS)
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
