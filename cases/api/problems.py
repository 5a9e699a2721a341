"""Errors as ``application/problem+json`` (RFC 9457), one shape for every failure of the API.

    {"type", "title", "status", "detail", "instance", "request_id",
     "errors": [{"code", "detail", "attr", "pointer"}]}

``attr`` is the dotted field path an integrator reads (``person.address.postcode``),
``pointer`` the same place as a JSON pointer into the request body (``/person/address/postcode``).
No answer ever carries a stack trace or SQL: an unexpected error is logged with the request id
and answered with that id only.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response

from returnpath.errors import Conflict, DomainError, TransitionRefused
from returnpath.middleware import current_request_id

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger("returnpath.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"

# slug -> (status, title). The slug is the last part of the problem's type URI.
PROBLEM_TYPES: dict[str, tuple[int, StrOrPromise]] = {
    "validation-error": (400, gettext_lazy("The request is not valid.")),
    "malformed-request": (400, gettext_lazy("The request body is not valid JSON.")),
    "not-authenticated": (401, gettext_lazy("Authentication is required.")),
    "forbidden": (403, gettext_lazy("You may not do this.")),
    "missing-scope": (403, gettext_lazy("The API client lacks a scope for this operation.")),
    "not-found": (404, gettext_lazy("Not found.")),
    "method-not-allowed": (405, gettext_lazy("Method not allowed.")),
    "conflict": (409, gettext_lazy("The request conflicts with what exists.")),
    "reference-conflict": (409, gettext_lazy("This reference was already used for a different order.")),
    "transition-refused": (409, gettext_lazy("This step cannot be taken now.")),
    "idempotency-key-in-use": (409, gettext_lazy("A request with this Idempotency-Key is still being processed.")),
    "length-required": (411, gettext_lazy("The request body needs a Content-Length.")),
    "payload-too-large": (413, gettext_lazy("The request body is too large.")),
    "unsupported-media-type": (415, gettext_lazy("The request body must be JSON.")),
    "domain-rule": (422, gettext_lazy("A business rule refused the request.")),
    "idempotency-key-reused": (422, gettext_lazy("This Idempotency-Key was used for a different request.")),
    "throttled": (429, gettext_lazy("Too many requests.")),
    "server-error": (500, gettext_lazy("Internal server error.")),
    "service-unavailable": (503, gettext_lazy("The service is temporarily unavailable.")),
    "timeout": (503, gettext_lazy("The request took too long and was stopped.")),
}


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


class Problem(Exception):
    """Raise from a view to answer with a given problem."""

    def __init__(self, slug: str, detail: str, *, errors: list[dict] | None = None, status_code: int | None = None, headers=None):
        super().__init__(detail)
        self.slug, self.detail, self.errors = slug, str(detail), errors or []
        self.status_code = status_code or PROBLEM_TYPES[slug][0]
        self.headers = headers or {}


def type_uri(request, slug: str) -> str:
    path = f"/api/problems/{slug}/"
    return request.build_absolute_uri(path) if request is not None else path


def problem_response(
    request, *, slug: str, detail: str, errors: list[dict] | None = None, status_code: int | None = None, headers=None
) -> Response:
    default_status, title = PROBLEM_TYPES[slug]
    status_code = status_code or default_status
    body = {
        "type": type_uri(request, slug),
        "title": str(title),
        "status": status_code,
        "detail": str(detail),
        "instance": request.path if request is not None else "",
        "request_id": getattr(request, "request_id", None) or current_request_id(),
        # Never an empty list: an integrator can always read errors[0].code.
        "errors": errors or [{"code": slug.replace("-", "_"), "detail": str(detail), "attr": None, "pointer": ""}],
    }
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _pointer(parts: list) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def flatten_errors(detail, path: list | None = None) -> list[dict]:
    """DRF's nested error structure → one flat list, each error with its field path."""
    path = path or []
    out: list[dict] = []
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            sub = path if key in ("non_field_errors", "__all__") else [*path, key]
            out.extend(flatten_errors(value, sub))
    elif isinstance(detail, list | tuple):
        for index, item in enumerate(detail):
            if isinstance(item, Mapping | list | tuple):
                out.extend(flatten_errors(item, [*path, index]))
            else:
                out.extend(flatten_errors(item, path))
    else:
        code = getattr(detail, "code", None) or "invalid"
        out.append({
            "code": str(code),
            "detail": str(detail),
            "attr": ".".join(str(p) for p in path) if path else None,
            "pointer": _pointer(path),
        })
    return out


# Which request field a domain refusal is about, when it is about one.
DOMAIN_ERROR_FIELDS = {"reference_conflict": "external_reference", "dossier_number_conflict": "person.dossier_number"}


def _domain_errors(exc: DomainError) -> list[dict]:
    """One entry per reason; a refusal without listed reasons still gets one entry (never an empty list)."""
    code = "guard" if isinstance(exc, TransitionRefused) else exc.code
    attr = DOMAIN_ERROR_FIELDS.get(exc.code)
    pointer = "/" + attr.replace(".", "/") if attr else ""
    return [{"code": code, "detail": d, "attr": attr, "pointer": pointer} for d in (exc.details or [exc.message])]


def problem_for_exception(exc: Exception, request) -> Response:
    if isinstance(exc, Problem):
        return problem_response(request, slug=exc.slug, detail=exc.detail, errors=exc.errors, status_code=exc.status_code,
                                headers=exc.headers)
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        return problem_response(request, slug="validation-error",
                                detail=_("%(count)d field(s) are not valid; see errors.") % {"count": len(errors)}, errors=errors)
    if isinstance(exc, exceptions.ParseError):
        return problem_response(request, slug="malformed-request", detail=str(exc.detail))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # APIView.handle_exception sets auth_header on the exception from the authenticators.
        headers = {"WWW-Authenticate": getattr(exc, "auth_header", None) or "Token"}
        return problem_response(request, slug="not-authenticated", detail=str(exc.detail), status_code=401, headers=headers)
    if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
        detail = str(getattr(exc, "detail", "") or _("You may not do this."))
        slug = "missing-scope" if getattr(exc, "default_code", "") == "missing_scope" else "forbidden"
        return problem_response(request, slug=slug, detail=detail)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return problem_response(request, slug="not-found", detail=_("No such resource, or not yours to see."))
    if isinstance(exc, exceptions.MethodNotAllowed):
        return problem_response(request, slug="method-not-allowed", detail=str(exc.detail))
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return problem_response(request, slug="unsupported-media-type",
                                detail=_("Send the body as application/json (UTF-8)."))
    if isinstance(exc, PayloadTooLarge):
        return problem_response(request, slug="payload-too-large", detail=str(exc.detail))
    if isinstance(exc, exceptions.Throttled):
        # Throttled sets ``wait`` (seconds or None) in __init__; the stubs omit the attribute.
        wait = max(1, math.ceil(getattr(exc, "wait", None) or 1))
        return problem_response(request, slug="throttled",
                                detail=_("Too many requests; retry in %(seconds)d seconds.") % {"seconds": wait},
                                headers={"Retry-After": str(wait)})
    if isinstance(exc, TransitionRefused):
        return problem_response(request, slug="transition-refused", detail=str(exc), errors=_domain_errors(exc))
    if isinstance(exc, Conflict):
        slug = "reference-conflict" if exc.code == "reference_conflict" else "conflict"
        return problem_response(request, slug=slug, detail=exc.message, errors=_domain_errors(exc))
    if isinstance(exc, DomainError):
        if exc.code == "forbidden":
            return problem_response(request, slug="forbidden", detail=exc.message)
        if exc.code == "not_found":
            return problem_response(request, slug="not-found", detail=exc.message)
        return problem_response(request, slug="domain-rule", detail=str(exc), errors=_domain_errors(exc))
    if isinstance(exc, exceptions.APIException):
        # Anything else DRF knows (406, ...): keep its status, never its internals.
        return problem_response(request, slug="conflict" if exc.status_code == 409 else "validation-error",
                                detail=str(exc.detail), status_code=exc.status_code)
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is a required dependency: say when to come back, never a 500.
        from django.conf import settings
        from django.db import connections

        retry = settings.RETURNPATH_RETRY_AFTER_SECONDS
        if type(exc.__cause__).__name__ == "QueryCanceled":  # the web processes' statement timeout
            logger.error("A statement ran past the statement timeout in the API")
            return problem_response(request, slug="timeout", detail=_("The request took too long and was stopped."),
                                    headers={"Retry-After": str(retry)})
        logger.error("Database unavailable in the API: %s", type(exc).__name__)
        for conn in connections.all(initialized_only=True):
            conn.close_if_unusable_or_obsolete()
        return problem_response(request, slug="service-unavailable",
                                detail=_("The database does not answer; retry in %(seconds)d seconds.") % {"seconds": retry},
                                headers={"Retry-After": str(retry)})
    logger.error("Unhandled error in the API", exc_info=exc)
    return problem_response(request, slug="server-error",
                            detail=_("Something went wrong on our side. Quote the request id when you report it."))


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every exception becomes a problem (never a traceback)."""
    request = context.get("request") if context else None
    return problem_for_exception(exc, request)
