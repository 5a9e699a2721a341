"""The ``Idempotency-Key`` request header (IETF httpapi draft "The Idempotency-Key HTTP Header Field").

- first use of a key: the key is recorded as *in flight* (committed at once, so a concurrent
  request sees it), the request runs, its answer is stored with the key;
- same key, same request (method, path and JSON body, compared canonically): the stored answer
  is replayed, nothing runs again;
- same key, another request: 422; same key while the first request still runs: 409.

Keys are per API client and kept ``RETURNPATH_API_IDEMPOTENCY_TTL_HOURS``. A key whose request
never finished (the worker died) is taken over after the lease. Server errors (5xx) are not
stored: retrying them must run the request again. The orders themselves are idempotent on
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
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from cases.api.problems import PROBLEM_CONTENT_TYPE, Problem
from cases.models import ApiClient, IdempotencyKey

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


def run(*, request, client: ApiClient, handler: Callable[[], Response]) -> Response:
    raw = request.headers.get(HEADER)
    if raw is None:
        return handler()
    key = parse_key(raw)
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
