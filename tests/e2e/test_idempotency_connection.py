"""Idempotency keys never stick (issue 13, item 3): "in flight" is the request's own database
connection holding an advisory lock, so a connection that dies frees the key at once."""

from __future__ import annotations

import time

import psycopg2
import pytest
import requests
from django.db import connection

from cases.api.idempotency import _lock_id
from cases.api.models import IdempotencyKey
from cases.models import OrderToLeave
from tests.cases.test_api_support import OWN_SCOPES, order_payload
from tests.e2e.processes import database_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def token(reference_data, office, counsellor):
    from cases.api.auth import create_client_token

    client, _created, token = create_client_token(name="register", scopes=list(OWN_SCOPES), throttle_rate="100000/min")
    return client, token


def post(live_server, token, key):
    return requests.post(f"{live_server.url}/api/v1/orders/", json=order_payload(), timeout=30,
                         headers={"Authorization": f"Token {token}", "Idempotency-Key": key})


def test_a_key_held_by_a_live_connection_is_busy_and_free_the_moment_that_connection_dies(live_server, token):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    client, secret = token
    other = psycopg2.connect(database_url(connection.settings_dict).replace("postgres://", "postgresql://"))
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s), pg_backend_pid()", [_lock_id(client, "k-1")])
        locked, pid = cursor.fetchone()
    assert locked
    busy = post(live_server, secret, "k-1")
    assert busy.status_code == 409 and busy.headers["Retry-After"] == "1"
    assert busy.headers["Content-Type"] == "application/problem+json"
    # The connection that held it dies (a killed worker, a database restart): no lease to wait for.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    started = time.monotonic()
    retry = post(live_server, secret, "k-1")
    assert retry.status_code == 201, retry.text
    assert time.monotonic() - started < 5
    assert post(live_server, secret, "k-1").headers.get("Idempotent-Replayed") == "true"
    assert OrderToLeave.objects.count() == 1


def test_a_request_whose_own_connection_dies_leaves_nothing_in_flight(live_server, token, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    _client, secret = token
    from cases.api import views

    real = views.open_case_from_order

    def die(**kwargs):
        from django.db import connection as request_connection

        with request_connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real(**kwargs)

    monkeypatch.setattr(views, "open_case_from_order", die)
    failed = post(live_server, secret, "k-2")
    assert failed.status_code >= 500 and failed.headers["Content-Type"] == "application/problem+json"
    monkeypatch.setattr(views, "open_case_from_order", real)
    started = time.monotonic()
    retry = post(live_server, secret, "k-2")
    assert retry.status_code == 201, retry.text
    assert time.monotonic() - started < 5
    assert IdempotencyKey.objects.filter(key="k-2", response_status=201).count() == 1
    assert OrderToLeave.objects.count() == 1
