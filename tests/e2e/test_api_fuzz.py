"""schemathesis against the app's own /api/schema/, in process (WSGI), with a real token.

Bounded: 25 examples per operation. Fails on any 5xx, an undocumented status or content type,
or an answer that does not match its documented schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from cases.api.auth import ALL_SCOPES, create_client_token
from tests import factories as f

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_token(db, office, counsellor):
    _client, _created, token = create_client_token(name="fuzzer", scopes=list(ALL_SCOPES), throttle_rate="1000000/min")
    f.OrderFactory(case=f.CaseFactory(office=office, counsellor=counsellor))  # something to list
    return token


@pytest.fixture
def api_schema(db):
    # As Django's test client does: the WSGI handler must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_answers_as_documented(case, api_token):
    from django.core.cache import cache

    cache.clear()  # the per-address failed-authentication limit must not turn the fuzz into 429s
    response = case.call(headers={"Authorization": f"Token {api_token}"})
    case.validate_response(response, checks=CHECKS)
