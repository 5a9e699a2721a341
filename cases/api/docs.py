"""OpenAPI pieces: the problem+json component, the token scheme, the Idempotency-Key header."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from cases.api.problems import PROBLEM_CONTENT_TYPE


class ProblemErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable, e.g. `required`, `invalid_postcode`, `guard`.")
    detail = serializers.CharField(help_text="A sentence a person can act on.")
    attr = serializers.CharField(allow_null=True, help_text="Dotted field path, e.g. `person.address.postcode`; null for the whole request.")
    pointer = serializers.CharField(allow_blank=True, help_text="The same place as a JSON pointer into the request body.")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text="URI of the problem type.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(help_text="The request path.")
    request_id = serializers.CharField(help_text="Also in the X-Request-ID response header; quote it when reporting.")
    errors = ProblemErrorSerializer(many=True)  # type: ignore[assignment]  # a field, popped by the metaclass, not Serializer.errors

    class Meta:
        ref_name = "Problem"


_DESCRIPTIONS = {
    400: "The request is not valid: `errors` lists every field error at once.",
    401: "No token, an unknown, revoked or expired token, or a disabled client.",
    403: "The API client lacks the scope this operation needs (named in `detail`).",
    404: "No such case, or not one of your orders.",
    409: "A conflict: the reference was used for other content, a refused step (`errors` lists every guard), "
         "or the Idempotency-Key is still in flight.",
    413: "The body is larger than the limit (64 KB, 2 MB for a batch).",
    415: "The body is not `application/json`.",
    422: "A business rule refused the request, or an Idempotency-Key was reused for a different request.",
    429: "Too many requests for this client: wait `Retry-After` seconds.",
}


def error_responses(*codes: int) -> dict:
    return {(code, PROBLEM_CONTENT_TYPE): OpenApiResponse(ProblemSerializer, description=_DESCRIPTIONS[code]) for code in codes}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional (IETF draft): a unique key per request, e.g. a UUID. A retry with the same key and body replays the "
        "first answer; the same key with another body answers 422; while the first is still running, 409."
    ),
)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "cases.api.auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")  # noqa: S106 - the header prefix, not a secret
        scheme["description"] = "`Authorization: Token <your token>`; tokens come from `manage.py create_api_client`."
        return scheme


def strict_request_bodies(result, generator, request, public):
    """Postprocessing hook: request bodies reject unknown fields, so say so (additionalProperties: false)."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


def only_api_v1(endpoints):
    """Preprocessing hook: the schema documents the versioned API only."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
