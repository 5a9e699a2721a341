"""Error pages: problem+json under /api/, a plain page elsewhere — never a stack trace."""

import json
import sys

from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from returnpath.middleware import current_request_id


@requires_csrf_token
def server_error(request, template_name="500.html"):
    from returnpath.resilience import REQUIRED_ERRORS, service_unavailable

    if isinstance(sys.exc_info()[1], REQUIRED_ERRORS):  # a dependency is down, not a bug: 503 + Retry-After
        return service_unavailable(request, what="database")
    request_id = getattr(request, "request_id", None) or current_request_id()
    if request.path.startswith("/api/"):
        body = {
            "type": request.build_absolute_uri("/api/problems/server-error/"),
            "title": "Internal server error",
            "status": 500,
            "detail": "Something went wrong on our side. Quote the request id when you report it.",
            "instance": request.path,
            "request_id": request_id,
            "errors": [],
        }
        return HttpResponse(json.dumps(body), status=500, content_type="application/problem+json")
    template = loader.get_template(template_name)
    return HttpResponseServerError(template.render({"request_id": request_id}))
