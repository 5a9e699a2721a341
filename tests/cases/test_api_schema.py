"""The OpenAPI schema, the self-hosted docs, the demo client and the create_api_client command."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from cases.api.demo import DEMO_CLIENT_NAME, DEMO_TOKEN, ensure_demo_client
from cases.api.models import ApiClient
from returnpath import roles
from tests.cases.test_api_support import token_client

pytest_plugins = ["tests.cases.test_api_support"]  # its fixtures
pytestmark = pytest.mark.usefixtures("_clean_api_cache")  # throttle counters must not leak between tests

COMMITTED = Path(settings.BASE_DIR) / "docs" / "api" / "openapi.yaml"


@pytest.mark.postgres  # integer bounds come from the database backend: the schema is PostgreSQL's (make schema)
def test_committed_schema_is_what_the_code_generates(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))
    assert generated.read_text() == COMMITTED.read_text(), "docs/api/openapi.yaml is stale: run `make schema` and commit it"


def test_schema_documents_problems_and_every_operation(db):
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    operations = {(path, method) for path, item in schema["paths"].items() for method in item}
    assert operations == {
        ("/api/v1/orders/", "post"), ("/api/v1/orders/batch/", "post"), ("/api/v1/orders/batch/{batch_id}/", "get"),
        ("/api/v1/cases/", "get"),
        ("/api/v1/cases/{case_id}/", "get"), ("/api/v1/cases/{case_id}/procedures/", "post"),
        ("/api/v1/cases/{case_id}/departure/", "post"),
        # The return itself: identification unit and return partners.
        ("/api/v1/cases/{case_id}/travel-documents/", "get"), ("/api/v1/cases/{case_id}/travel-documents/", "post"),
        ("/api/v1/cases/{case_id}/travel-documents/{document_id}/", "patch"),
        ("/api/v1/cases/{case_id}/consular-requests/", "get"), ("/api/v1/cases/{case_id}/consular-requests/", "post"),
        ("/api/v1/cases/{case_id}/consular-requests/{request_id}/", "patch"),
        ("/api/v1/referrals/", "get"), ("/api/v1/referrals/{referral_id}/", "get"),
        ("/api/v1/referrals/{referral_id}/stages/", "post"), ("/api/v1/referrals/{referral_id}/support/", "post"),
        ("/api/v1/referrals/{referral_id}/support/{support_id}/", "put"),
        ("/api/v1/referrals/{referral_id}/follow-ups/", "post"),
        ("/api/v1/cases/{case_id}/term-extensions/", "post"),
        ("/api/v1/cases/{case_id}/term-shortenings/", "post"),
    }
    create = schema["paths"]["/api/v1/orders/"]["post"]
    assert create["responses"]["400"]["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert schema["components"]["schemas"]["OrderRequest"]["additionalProperties"] is False
    assert "apiToken" in schema["components"]["securitySchemes"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_are_self_hosted(db, path):
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "the docs must not load anything from a CDN"


def test_create_api_client_prints_the_token_once_and_adds_tokens(db):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_client", "Order api_register", "--scopes", "orders:write,cases:read", "--region", "antwerp",
                 "--expires-days", "30", stdout=out, stderr=err)
    token = out.getvalue().strip().splitlines()[-1]
    client = ApiClient.objects.get(name="Order api_register")
    assert client.scopes == ["orders:write", "cases:read"] and client.issuing_region == "antwerp"
    assert client.user.groups.filter(name=roles.API_CLIENT).exists() and client.user.has_perm("cases.record_legal_event")
    assert not client.user.has_usable_password()
    assert token_client(token).get("/api/v1/cases/").status_code == 200
    assert client.user.auth_token_set.get().expiry is not None

    out2 = io.StringIO()
    call_command("create_api_client", "Order api_register", stdout=out2, stderr=io.StringIO())
    second = out2.getvalue().strip().splitlines()[-1]
    assert second != token and ApiClient.objects.count() == 1 and client.user.auth_token_set.count() == 2
    assert token_client(token).get("/api/v1/cases/").status_code == 200  # the first token still works

    with pytest.raises(CommandError):
        call_command("create_api_client", "x", "--scopes", "orders:delete", stdout=io.StringIO(), stderr=io.StringIO())


def test_demo_client_is_idempotent_with_the_known_token(db):
    client, token = ensure_demo_client()
    again, _token = ensure_demo_client()
    assert token == DEMO_TOKEN and again.pk == client.pk and client.name == DEMO_CLIENT_NAME
    assert client.user.auth_token_set.count() == 1
    assert token_client(DEMO_TOKEN).get("/api/v1/cases/").status_code == 200


def test_problem_type_uris_resolve(db):
    response = Client().get("/api/problems/validation-error/")
    assert response.status_code == 200 and response.json()["status"] == 400
    assert Client().get("/api/problems/nonsense/").status_code == 404
