"""Redis is not a single point of failure; a database that does not answer is a 503 (issue 13, item 2)."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.db import OperationalError
from django.test import override_settings
from django.urls import reverse

from returnpath import resilience
from tests.cases.test_api_support import order_payload

pytest_plugins = ["tests.cases.test_api_support"]  # its fixtures

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
                "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-local"},
}


@pytest.fixture
def redis_down():
    resilience.reset()
    with override_settings(CACHES=DEAD_REDIS):
        caches["local"].clear()
        yield
    resilience.reset()


def test_the_api_answers_and_throttles_without_redis(redis_down, make_api_client):
    from tests.cases.test_api_support import token_client

    _client, token = make_api_client("throttled", scopes=("cases:read",), throttle_rate="3/min")
    api = token_client(token)
    answers = [api.get("/api/v1/cases/").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    assert resilience.shared_cache_down()


def test_failed_authentication_is_counted_without_redis(redis_down, client):
    answer = client.get("/api/v1/cases/", HTTP_AUTHORIZATION="Token nope")
    assert answer.status_code == 401


def test_dashboards_compute_live_without_redis(redis_down, client, manager):
    client.force_login(manager)
    assert client.get(reverse("dashboards:office")).status_code == 200
    # The copy this process computed is served next time (no Redis needed).
    assert client.get(reverse("dashboards:office")).status_code == 200


def test_a_database_that_does_not_answer_is_a_503_problem_in_the_api(api_register, monkeypatch):
    _client, api = api_register

    def down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("cases.api.views.open_case_from_order", down)
    answer = api.post("/api/v1/orders/", order_payload(), format="json")
    assert answer.status_code == 503 and answer["Retry-After"] == "5"
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/service-unavailable/")


def test_a_database_that_does_not_answer_is_a_503_page(client, counsellor, monkeypatch):
    client.force_login(counsellor)
    client.raise_request_exception = False

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("counselling.views.selectors.my_day", down, raising=False)
    monkeypatch.setattr("counselling.views.render", down)
    answer = client.get("/")
    assert answer.status_code == 503 and answer["Retry-After"] == "5"
    assert b"Temporarily unavailable" in answer.content


def test_a_statement_past_the_timeout_is_a_503_timeout_problem(api_register, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's statement_timeout")
    _client, api = api_register

    def slow(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(1)")

    monkeypatch.setattr("cases.api.views.open_case_from_order", slow)
    answer = api.post("/api/v1/orders/", order_payload(), format="json")
    assert answer.status_code == 503 and answer.json()["type"].endswith("/timeout/")
    assert answer["Content-Type"] == "application/problem+json" and answer["Retry-After"]
