"""What every API view shares: token auth, scopes, JSON only, body limit, throttling,
problem+json errors, logging of every 4xx/5xx with the request id."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from cases.api.auth import ApiTokenAuthentication, HasScope
from cases.api.problems import PayloadTooLarge, exception_handler
from cases.api.throttling import ClientRateThrottle, auth_failures_exceeded, record_auth_failure

logger = logging.getLogger("returnpath.api")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class LimitedJSONParser(BaseParser):
    """Strict UTF-8 JSON, read up to the view's body limit and no further."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        view = (parser_context or {}).get("view")
        limit = getattr(view, "max_body_bytes", settings.RETURNPATH_API_MAX_BODY_BYTES)
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(_("The request body is larger than %(limit)d bytes.") % {"limit": limit})
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
            # What cannot be written back as strict UTF-8 JSON must not get in: an unpaired
            # surrogate escape ("\ud800") or a number that overflows to infinity (1e999) would
            # otherwise fail later, when an answer echoes it.
            json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (UnicodeError, ValueError, RecursionError) as exc:
            # ValueError covers JSONDecodeError and integers longer than Python accepts.
            raise exceptions.ParseError(_("The body is not valid JSON: %(error)s") % {"error": str(exc)[:200]}) from None
        return data


class JSONOnly(BaseContentNegotiation):
    """This API speaks JSON whatever the Accept header says (no 406 dance)."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip().lower() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ApiView(APIView):
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [HasScope]
    parser_classes = [LimitedJSONParser]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONOnly
    throttle_classes = [ClientRateThrottle]
    required_scopes: dict[str, str | tuple[str, ...]] = {}
    max_body_bytes: int | None = None  # settings.RETURNPATH_API_MAX_BODY_BYTES unless a view says otherwise

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request, *args, **kwargs):
        if self.max_body_bytes is None:
            self.max_body_bytes = settings.RETURNPATH_API_MAX_BODY_BYTES
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PUT", "PATCH"):
            self.check_body(request)

    def perform_authentication(self, request):
        """A valid token always gets in; only an address that keeps failing is slowed down.

        Checking the failure limit before the token would let one misbehaving client behind a
        shared proxy address lock every integrator out.
        """
        try:
            super().perform_authentication(request)
        except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed):
            self._refuse_if_failing_too_often(request)
            raise
        if not request.user or not request.user.is_authenticated:
            self._refuse_if_failing_too_often(request)

    @staticmethod
    def _refuse_if_failing_too_often(request) -> None:
        wait = auth_failures_exceeded(request)
        if wait is not None:
            raise exceptions.Throttled(wait=wait)

    def check_body(self, request) -> None:
        """Refuse before reading: wrong media type (415), a declared length over the limit (413)."""
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise exceptions.UnsupportedMediaType(content_type or "none")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = self.max_body_bytes
        assert limit is not None  # initial() sets it before checking the body
        if length > limit:
            raise PayloadTooLarge(_("The request body is larger than %(limit)d bytes.") % {"limit": limit})

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            record_auth_failure(self.request)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            data = getattr(response, "data", None) or {}
            level = logging.ERROR if response.status_code >= 500 else logging.WARNING
            logger.log(
                level, "API %s %s -> %s %s (%d error(s))",
                request.method, request.path, response.status_code,
                data.get("type", "").rstrip("/").rsplit("/", 1)[-1] if isinstance(data, dict) else "",
                len(data.get("errors", [])) if isinstance(data, dict) else 0,
            )
        return response
