"""Limits on failed sign-ins, kept in the database (decision 025).

Three counters over one sliding window: per account and address (a colleague mistyping), per
account from anywhere (distributed guessing) and per address across accounts (one password
sprayed over many accounts). The first limit reached refuses further attempts until the window
has passed; a correct password only clears the account's own failures, never the address's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from returnpath.accounts.models import LoginFailure


@dataclass(frozen=True)
class Limits:
    per_user_and_address: int
    per_user: int
    per_address: int
    window: dt.timedelta


def limits() -> Limits:
    return Limits(
        per_user_and_address=settings.LOGIN_MAX_FAILURES_PER_USER_AND_ADDRESS,
        per_user=settings.LOGIN_MAX_FAILURES_PER_USER,
        per_address=settings.LOGIN_MAX_FAILURES_PER_ADDRESS,
        window=dt.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS),
    )


def username_digest(username: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, (username or "").strip().casefold().encode(), hashlib.sha256).hexdigest()


def client_address(request) -> str | None:
    # REMOTE_ADDR only: a forwarded header is set by the client unless a trusted proxy rewrites it.
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def is_locked_out(*, username: str, address: str | None) -> bool:
    rules = limits()
    digest = username_digest(username)
    recent = LoginFailure.objects.filter(at__gte=timezone.now() - rules.window)
    counts = recent.aggregate(
        user_and_address=Count("pk", filter=Q(username_digest=digest, address=address)),
        user=Count("pk", filter=Q(username_digest=digest)),
        address=Count("pk", filter=Q(address=address)) if address else Count("pk", filter=Q(pk__in=[])),
    )
    return (
        counts["user_and_address"] >= rules.per_user_and_address
        or counts["user"] >= rules.per_user
        or counts["address"] >= rules.per_address
    )


def record_failure(*, username: str, address: str | None) -> None:
    now = timezone.now()
    LoginFailure.objects.filter(at__lt=now - limits().window).delete()  # nothing older is ever counted
    LoginFailure.objects.create(at=now, username_digest=username_digest(username), address=address)


def reset(*, username: str) -> None:
    LoginFailure.objects.filter(username_digest=username_digest(username)).delete()
