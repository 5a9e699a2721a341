"""Chunked request bodies are read, or refused with 411 — never silently taken as empty.

Django reads ``CONTENT_LENGTH`` bytes of ``wsgi.input``; a body sent with
``Transfer-Encoding: chunked`` has no length, so Django would see an empty body and the API
would answer as if nothing had been sent (issue 13, item 5). A server that de-chunks the body
and ends the stream (gunicorn says so with ``wsgi.input_terminated``) gets it read here, up to
the largest body any view accepts, and handed on with its length. Any other server: 411.
"""

from __future__ import annotations

import io
import json


def _problem(start_response, status: str, slug: str, detail: str):
    code = int(status.split()[0])
    body = json.dumps({
        "type": f"/api/problems/{slug}/", "title": detail, "status": code, "detail": detail, "instance": "",
        "errors": [{"code": slug.replace("-", "_"), "detail": detail, "attr": None, "pointer": ""}],
    }).encode()
    start_response(status, [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))])
    return [body]


class ChunkedBodyMiddleware:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked or environ.get("CONTENT_LENGTH"):
            return self.app(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            return _problem(start_response, "411 Length Required", "length-required",
                            "Send the body with a Content-Length header.")
        from django.conf import settings

        limit = max(settings.RETURNPATH_API_MAX_BODY_BYTES, settings.RETURNPATH_API_MAX_BATCH_BODY_BYTES)
        body = environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            return _problem(start_response, "413 Content Too Large", "payload-too-large",
                            f"The request body is larger than {limit} bytes.")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)
