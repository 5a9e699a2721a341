"""Request ids: every answer carries ``X-Request-ID`` and every log line of the request too,
with the acting user's id and API client's id (never a name: logs hold no personal data)."""

import contextvars
import logging
import re
import uuid

from django.core.signals import request_finished

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_request: contextvars.ContextVar[object | None] = contextvars.ContextVar("request", default=None)
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


def _actor_ids() -> tuple[str, str]:
    """(user id, API client id) of the current request, from what is loaded already (no query)."""
    request = _request.get()
    if request is None:
        return "-", "-"
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)  # Django's lazy user: only once someone looked
    if wrapped is None or type(wrapped).__name__ == "object" or not getattr(wrapped, "pk", None):
        return "-", "-"
    client = getattr(getattr(wrapped, "_state", None), "fields_cache", {}).get("api_client")
    return str(wrapped.pk), str(client.pk) if client is not None else "-"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.user_id, record.client_id = _actor_ids()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        # A caller's id is reused only when it is a plain token: it ends up in logs.
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Kept until the response is closed (request_finished), not only while the middleware
        # runs: Django logs "Not Found", "Bad Request"... after the middleware chain returned.
        _request_id.set(request_id)
        _request.set(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _forget_request(**_kwargs) -> None:
    _request_id.set("-")
    _request.set(None)


request_finished.connect(_forget_request, dispatch_uid="returnpath.forget_request")
