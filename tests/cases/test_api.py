"""The API's front door and orders in: tokens and scopes, validation, idempotency, batch, errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from knox.models import AuthToken

from cases.api.models import ApiClient, IdempotencyKey
from cases.models import Case, CaseEvent, OrderToLeave, Person
from tests.cases.test_api_support import PROBLEM, order_payload, token_client

pytest_plugins = ["tests.cases.test_api_support"]  # its fixtures
pytestmark = pytest.mark.usefixtures("_clean_api_cache")  # throttle counters must not leak between tests

ORDERS = "/api/v1/orders/"
BATCH = "/api/v1/orders/batch/"


def run_batch(api, body, **kwargs):
    """Post a batch (202), let the worker process it as Celery would, and read its status URL."""
    from cases.api.batch import process_order_batch

    accepted = api.post(BATCH, body, **kwargs)
    if accepted.status_code != 202:
        return accepted
    assert accepted["Location"] == accepted.json()["url"]
    process_order_batch(batch_id=accepted.json()["id"])
    return api.get(accepted["Location"])


def attrs(response) -> dict[str, str]:
    return {e["attr"]: e["code"] for e in response.json()["errors"]}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert {"type", "title", "status", "detail", "instance", "request_id", "errors"} <= set(body)
    assert body["status"] == status
    assert body["request_id"] == response["X-Request-ID"]
    assert "Traceback" not in response.content.decode() and "SELECT" not in response.content.decode()
    return body


# --- authentication and scopes ----------------------------------------------------------
def test_no_token_is_401_problem(db):
    response = token_client(None).post(ORDERS, order_payload(), format="json")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Token"


def test_unknown_token_is_401(db):
    assert_problem(token_client("0" * 64).get("/api/v1/cases/"), 401)
    assert_problem(token_client("é" * 20).get("/api/v1/cases/"), 401)
    assert_problem(token_client("a b").get("/api/v1/cases/"), 401)


def test_inactive_client_expired_and_revoked_tokens_are_401(make_api_client):
    client, token = make_api_client("register")
    api = token_client(token)
    assert api.get("/api/v1/cases/").status_code == 200
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    assert_problem(api.get("/api/v1/cases/"), 401)
    ApiClient.objects.filter(pk=client.pk).update(is_active=True)

    AuthToken.objects.filter(user=client.user).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert_problem(api.get("/api/v1/cases/"), 401)

    _client, fresh = make_api_client("register")  # same name: a new token for the same client
    assert token_client(fresh).get("/api/v1/cases/").status_code == 200
    AuthToken.objects.filter(user=client.user).delete()  # revoked
    assert_problem(token_client(fresh).get("/api/v1/cases/"), 401)


def test_tokens_are_stored_hashed(make_api_client):
    client, token = make_api_client("register")
    stored = AuthToken.objects.get(user=client.user)
    assert token not in (stored.digest, stored.token_key)


def test_missing_scope_is_403_naming_the_scope(make_api_client, office):
    _client, token = make_api_client("reader", scopes=["cases:read"])
    body = assert_problem(token_client(token).post(ORDERS, order_payload(), format="json"), 403)
    assert "orders:write" in body["detail"] and body["type"].endswith("/missing-scope/")
    assert OrderToLeave.objects.count() == 0


def test_failed_authentication_is_throttled_per_address(db, settings):
    settings.RETURNPATH_API_ANON_THROTTLE = "3/min"
    api = token_client("f" * 64)
    for _ in range(3):
        assert api.get("/api/v1/cases/").status_code == 401
    response = api.get("/api/v1/cases/")
    assert_problem(response, 429)
    assert int(response["Retry-After"]) >= 1


def test_failures_from_an_address_never_lock_out_a_valid_token(db, settings, api_register):
    settings.RETURNPATH_API_ANON_THROTTLE = "3/min"
    bad = token_client("f" * 64)
    for _ in range(5):
        bad.get("/api/v1/cases/")
    assert bad.get("/api/v1/cases/").status_code == 429
    _client, good = api_register  # same test address, a real token
    assert good.get("/api/v1/cases/").status_code == 200


def test_client_throttle_answers_429_with_retry_after(make_api_client):
    _client, token = make_api_client("slow", throttle_rate="2/min")
    api = token_client(token)
    assert api.get("/api/v1/cases/").status_code == 200
    assert api.get("/api/v1/cases/").status_code == 200
    response = api.get("/api/v1/cases/")
    body = assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert body["type"].endswith("/throttled/")


# --- one order --------------------------------------------------------------------------
def test_order_opens_a_case_through_the_service(api_register, office, counsellor):
    client, api = api_register
    response = api.post(ORDERS, order_payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert set(body) == {"id", "url", "state", "office", "counsellor", "departure_deadline"}
    assert body["url"].endswith(f"/api/v1/cases/{case.pk}/") and response["Location"] == body["url"]
    assert body["state"] == "registered"
    assert body["office"] == {"id": office.pk, "name": office.name}
    assert body["counsellor"] == {"id": counsellor.pk, "name": counsellor.get_full_name()}
    assert body["departure_deadline"] == case.departure_deadline.isoformat()
    order = OrderToLeave.objects.get()
    assert order.client == client and order.case == case
    assert case.events.filter(kind=CaseEvent.Kind.OPENED, actor=client.user).exists()


def test_identical_replay_is_200_and_different_content_409_changes_nothing(api_register):
    _client, api = api_register
    first = api.post(ORDERS, order_payload(), format="json")
    assert first.status_code == 201
    again = api.post(ORDERS, order_payload(), format="json")
    assert again.status_code == 200 and again.json() == first.json()

    events = CaseEvent.objects.count()
    conflict = api.post(ORDERS, order_payload(departure_term_days=20, term_reason="Risk of absconding"), format="json")
    body = assert_problem(conflict, 409)
    assert body["type"].endswith("/reference-conflict/")
    assert [(e["code"], e["pointer"]) for e in body["errors"]] == [("reference_conflict", "/external_reference")]
    assert OrderToLeave.objects.count() == 1 and Case.objects.count() == 1 and CaseEvent.objects.count() == events
    assert OrderToLeave.objects.get().departure_term_days == 30


def test_the_same_reference_from_two_clients_is_two_orders(api_register, api_partner):
    _c, api = api_register
    _p, other = api_partner
    assert api.post(ORDERS, order_payload("REF-1"), format="json").status_code == 201
    response = other.post(ORDERS, order_payload("REF-1"), format="json")
    # Another client's person: a new case and a possible duplicate for review (decision 020).
    assert response.status_code == 201
    assert OrderToLeave.objects.count() == 2 and Case.objects.count() == 2


def test_diacritics_and_non_latin_names_round_trip(api_register):
    _client, api = api_register
    payload = order_payload(person__family_name="Đoković-Ørsted", person__given_names="محمد 李 Zoë")
    assert api.post(ORDERS, payload, format="json").status_code == 201
    person = Person.objects.get()
    assert person.family_name == "Đoković-Ørsted" and person.given_names == "محمد 李 Zoë"


def test_alpha3_nationality_and_national_number_are_normalised(api_register):
    _client, api = api_register
    payload = order_payload(person__nationality="mar", person__national_number="90.04.02-001.14")
    assert api.post(ORDERS, payload, format="json").status_code == 201
    person = Person.objects.get()
    assert person.nationality == "MA" and person.national_number == "90040200114"


def test_every_field_error_at_once_with_paths(api_register):
    _client, api = api_register
    payload = order_payload(
        issued_on="2026-02-30",
        departure_term_days=31,
        person__nationality="ZZ",
        person__national_number="12345678901",
        person__languages=["fr", "xx"],
        person__address={"street": "x", "postcode": "0999", "municipality": "x", "box": "3"},
        person__sex="Q",
        flags={"public_order": "maybe", "colour": "red"},
        surprise=True,
    )
    del payload["person"]["family_name"]
    body = assert_problem(api.post(ORDERS, payload, format="json"), 400)
    found = attrs(api.post(ORDERS, payload, format="json"))
    assert found == {
        "issued_on": "invalid",
        "departure_term_days": "max_value",
        "person.family_name": "required",
        "person.nationality": "invalid_country",
        "person.national_number": "invalid_national_number",
        "person.languages.1": "invalid_language",
        "person.address.postcode": "invalid_postcode",
        "person.address.box": "unknown_field",
        "person.sex": "invalid_choice",
        "flags.public_order": "invalid",
        "flags.colour": "unknown_field",
        "surprise": "unknown_field",
    }
    pointers = {e["pointer"] for e in body["errors"]}
    assert "/person/address/postcode" in pointers and "/person/languages/1" in pointers
    details = {e["attr"]: e["detail"] for e in body["errors"]}
    # The sentences name the wrong value, never a raw placeholder.
    assert "“XX”" in details["person.languages.1"] or "“xx”" in details["person.languages.1"]
    assert not any("%(" in d or "{" in d for d in details.values())
    assert Case.objects.count() == 0


def test_order_rules_are_reported_with_the_field_errors(api_register):
    _client, api = api_register
    today = timezone.localdate()
    payload = order_payload(
        issued_on=(today - dt.timedelta(days=3)).isoformat(),
        notified_on=(today - dt.timedelta(days=5)).isoformat(),
        departure_term_days=7,
        person__address__postcode="12",
    )
    found = attrs(api.post(ORDERS, payload, format="json"))
    assert found == {
        "notified_on": "notified_before_issued",
        "term_reason": "term_reason_required",
        "person.address.postcode": "invalid_postcode",
    }


@pytest.mark.parametrize(
    ("overrides", "attr"),
    [
        ({"issued_on": "2026-13-01"}, "issued_on"),
        ({"issued_on": "1999-12-31"}, "issued_on"),
        ({"notified_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat()}, "notified_on"),
        ({"departure_term_days": -1}, "departure_term_days"),
        ({"departure_term_days": "thirty"}, "departure_term_days"),
        ({"person__birth_date": "1890-01-01"}, "person.birth_date"),
        ({"person__email": "not-an-address"}, "person.email"),
        ({"person__languages": "fr"}, "person.languages"),
        ({"person__address__postcode": 10000}, "person.address.postcode"),
        ({"external_reference": ""}, "external_reference"),
        ({"external_reference": "x" * 65}, "external_reference"),
        ({"person__family_name": "nul\x00byte"}, "person.family_name"),
        ({"target_group": "tourist"}, "target_group"),
        ({"household": []}, "household"),
        ({"person": "El Amrani"}, "person"),
    ],
)
def test_invalid_values_are_400_with_the_path(api_register, overrides, attr):
    _client, api = api_register
    response = api.post(ORDERS, order_payload(**overrides), format="json")
    assert_problem(response, 400)
    assert attr in attrs(response)


def test_unaccompanied_minor_notified_on_29_february(api_register):
    """validate_order used date.replace(year=-18): a ValueError (500) on 29 February."""
    _client, api = api_register
    payload = order_payload(issued_on="2024-02-29", notified_on="2024-02-29", household__unaccompanied_minor=True,
                            person__birth_date="2000-01-01")
    response = api.post(ORDERS, payload, format="json")
    assert attrs(response) == {"household.unaccompanied_minor": "not_a_minor"}


def test_json_only_and_body_limits(api_register, settings):
    _client, api = api_register
    assert_problem(api.post(ORDERS, "external_reference=1", content_type="application/x-www-form-urlencoded"), 415)
    assert_problem(api.post(ORDERS, "<order/>", content_type="text/xml"), 415)
    assert_problem(api.post(ORDERS, "{not json", content_type="application/json"), 400)
    assert_problem(api.post(ORDERS, b"\xff\xfe{}", content_type="application/json"), 400)
    assert_problem(api.post(ORDERS, '{"departure_term_days": NaN}', content_type="application/json"), 400)
    assert_problem(api.post(ORDERS, '{"departure_term_days": 1e999}', content_type="application/json"), 400)
    assert_problem(api.post(ORDERS, '{"\\ud800": 1}', content_type="application/json"), 400)  # echoed keys must encode
    assert_problem(api.post(BATCH, '{"orders": [{"external_reference": "\\udfff"}]}', content_type="application/json"), 400)
    assert_problem(api.post(ORDERS, "[" * 100000 + "]" * 100000, content_type="application/json"), 413)
    settings.RETURNPATH_API_MAX_BODY_BYTES = 10_000_000
    assert_problem(api.post(ORDERS, "[" * 100000 + "]" * 100000, content_type="application/json"), 400)  # recursion
    settings.RETURNPATH_API_MAX_BODY_BYTES = 64 * 1024
    big = order_payload(legal_basis="x" * 70_000)
    body = assert_problem(api.post(ORDERS, big, format="json"), 413)
    assert "65536" in body["detail"]
    assert Case.objects.count() == 0


def test_a_server_error_is_a_problem_with_the_request_id_only(api_register, monkeypatch):
    _client, api = api_register

    def explode(**kwargs):
        raise RuntimeError("SELECT secret FROM somewhere")

    monkeypatch.setattr("cases.api.views.open_case_from_order", explode)
    response = api.post(ORDERS, order_payload(), format="json", HTTP_X_REQUEST_ID="req-12345678")
    body = assert_problem(response, 500)
    assert body["request_id"] == "req-12345678"
    assert "secret" not in response.content.decode() and "RuntimeError" not in response.content.decode()


def test_errors_are_logged_with_the_request_id(api_register, caplog):
    from returnpath.middleware import RequestIdFilter

    _client, api = api_register
    caplog.handler.addFilter(RequestIdFilter())  # what the console handler of LOGGING does
    with caplog.at_level("WARNING", logger="returnpath.api"):
        response = api.post(ORDERS, {"external_reference": "x"}, format="json", HTTP_X_REQUEST_ID="trace-abcdef01")
    assert response["X-Request-ID"] == "trace-abcdef01"
    record = next(r for r in caplog.records if r.name == "returnpath.api")
    assert "400" in record.getMessage() and record.request_id == "trace-abcdef01"


def test_unknown_api_path_is_a_problem_404(db):
    assert_problem(token_client(None).get("/api/v1/nothing/here/"), 404)


# --- Idempotency-Key --------------------------------------------------------------------
def test_idempotency_key_replays_and_refuses_another_body(api_register):
    _client, api = api_register
    first = api.post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == 201
    replay = api.post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay["Location"] == first["Location"] and replay["Idempotent-Replayed"] == "true"

    other = api.post(ORDERS, order_payload("OTHER-REF"), format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    body = assert_problem(other, 422)
    assert body["type"].endswith("/idempotency-key-reused/")
    assert OrderToLeave.objects.count() == 1


def test_idempotency_key_in_flight_is_409_and_stale_flight_is_taken_over(api_register, settings):
    """Without PostgreSQL (SQLite, development) an in-flight row with a lease stands in for the lock."""
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL the lock is the connection's (tests/e2e/test_idempotency_connection.py)")
    client, api = api_register
    payload = order_payload()
    request_body = json.loads(json.dumps(payload))
    # A first request with this key is "still running": its row has no answer yet.
    from cases.api.idempotency import fingerprint

    class FakeRequest:
        method, path, data = "POST", ORDERS, request_body

    row = IdempotencyKey.objects.create(client=client, key="busy", fingerprint=fingerprint(FakeRequest))
    response = api.post(ORDERS, payload, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    assert_problem(response, 409)
    assert OrderToLeave.objects.count() == 0

    IdempotencyKey.objects.filter(pk=row.pk).update(created_at=timezone.now() - dt.timedelta(seconds=settings.RETURNPATH_API_IDEMPOTENCY_LEASE_SECONDS + 1))
    assert api.post(ORDERS, payload, format="json", HTTP_IDEMPOTENCY_KEY="busy").status_code == 201


def test_idempotency_key_stores_errors_but_not_server_errors(api_register, monkeypatch):
    _client, api = api_register
    bad = {"external_reference": "x"}
    assert api.post(ORDERS, bad, format="json", HTTP_IDEMPOTENCY_KEY="bad-1").status_code == 400
    first = api.post(ORDERS, bad, format="json", HTTP_IDEMPOTENCY_KEY="bad-2")
    replay = api.post(ORDERS, bad, format="json", HTTP_IDEMPOTENCY_KEY="bad-2")
    assert replay.status_code == 400 and replay["Content-Type"] == PROBLEM
    # The stored answer is replayed as it was: its request_id names the request that did the work.
    assert replay.json() == first.json() and replay["X-Request-ID"] != first["X-Request-ID"]

    monkeypatch.setattr("cases.api.views.open_case_from_order", lambda **kw: 1 / 0)
    assert api.post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-500").status_code == 500
    monkeypatch.undo()
    assert api.post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k-500").status_code == 201


def test_invalid_idempotency_key_is_400(api_register):
    _client, api = api_register
    assert_problem(api.post(ORDERS, order_payload(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 300), 400)


# --- batch ------------------------------------------------------------------------------
def test_batch_answers_each_order_on_its_own(api_register):
    _client, api = api_register
    assert api.post(ORDERS, order_payload("EXISTING"), format="json").status_code == 201
    orders = [
        order_payload("NEW-1", person__dossier_number="D-1", person__family_name="Alpha"),
        order_payload("EXISTING"),
        {"external_reference": "BROKEN", "person": {}},
        order_payload("EXISTING", departure_term_days=10, term_reason="Public order"),
        order_payload("NEW-2", person__dossier_number="D-2", person__family_name="Beta"),
        order_payload("NEW-1", person__dossier_number="D-1", person__family_name="Alpha"),
        order_payload("NEW-2", person__dossier_number="D-2", person__family_name="Gamma"),
        "not an object",
    ]
    response = run_batch(api, {"orders": orders}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(8))
    assert [r["status"] for r in results] == ["created", "existing", "invalid", "conflict", "created", "existing", "conflict", "invalid"]
    assert results[0]["case"]["id"] == results[5]["case"]["id"]
    assert {"issued_on", "person.family_name"} <= {e["attr"] for e in results[2]["errors"]}
    assert results[2]["external_reference"] == "BROKEN" and results[7]["external_reference"] is None
    assert response.json()["counts"] == {"created": 2, "existing": 2, "conflict": 2, "invalid": 2, "error": 0, "pending": 0}
    assert response.json()["status"] == "done"
    assert OrderToLeave.objects.count() == 3 and Case.objects.count() == 3


def test_batch_envelope_is_validated(api_register):
    _client, api = api_register
    assert "orders" in attrs(api.post(BATCH, {"orders": []}, format="json"))
    assert "orders" in attrs(api.post(BATCH, {"orders": [{}] * 1001}, format="json"))
    assert "extra" in attrs(api.post(BATCH, {"orders": [order_payload()], "extra": 1}, format="json"))
    assert_problem(api.post(BATCH, [order_payload()], format="json"), 400)


def test_batch_of_known_orders_costs_a_constant_number_of_queries(api_register, django_assert_max_num_queries):
    _client, api = api_register
    orders = [order_payload(f"REF-{i}", person__dossier_number=f"D-{i}", person__family_name=f"Name{i}") for i in range(40)]
    assert run_batch(api, {"orders": orders}, format="json").json()["counts"]["created"] == 40
    from cases.api.batch import process_order_batch

    accepted = api.post(BATCH, {"orders": orders}, format="json").json()
    with django_assert_max_num_queries(14):
        process_order_batch(batch_id=accepted["id"])
    assert api.get(accepted["url"]).json()["counts"]["existing"] == 40


def test_batch_has_its_own_larger_body_limit(api_register, settings):
    _client, api = api_register
    orders = [order_payload(f"BIG-{i}", person__dossier_number=f"BIG-{i}", legal_basis="x" * 150) for i in range(100)]
    body = json.dumps({"orders": orders})
    assert 64 * 1024 < len(body) < 2 * 1024 * 1024
    assert_problem(api.post(ORDERS, body, content_type="application/json"), 413)  # too big for one order...
    assert api.post(BATCH, body, content_type="application/json").status_code == 202  # ...fine for a batch
    settings.RETURNPATH_API_MAX_BATCH_BODY_BYTES = 64 * 1024
    assert_problem(api.post(BATCH, body, content_type="application/json"), 413)


def test_throttling_counts_in_redis_across_processes(make_api_client, settings):
    """The counter lives in the shared cache: what one web process counted, another sees."""
    import os

    import redis as redis_lib

    from tests.conftest import need

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/2"
    try:
        redis_lib.Redis.from_url(url).ping()
        up = True
    except redis_lib.RedisError:
        up = False
    need(up, f"this test needs Redis at {url}")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                                   "KEY_PREFIX": "test-api-throttle"}}
    from django.core.cache import cache

    cache.clear()
    client, token = make_api_client("redis-throttled", throttle_rate="3/min")
    api = token_client(token)
    assert [api.get("/api/v1/cases/").status_code for _ in range(3)] == [200, 200, 200]
    keys = redis_lib.Redis.from_url(url).keys(f"*api-throttle:client:{client.pk}:*")
    assert keys, "the counter is not in Redis"
    assert [int(redis_lib.Redis.from_url(url).get(key)) for key in keys] == [3]
    assert 0 < redis_lib.Redis.from_url(url).ttl(keys[0]) <= 65, "a counter must expire with its window"
    response = api.get("/api/v1/cases/")
    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    cache.clear()


@pytest.mark.parametrize("path, value", [
    ("flags.public_order", "yes"), ("flags.public_order", 1), ("household.unaccompanied_minor", "true"),
    ("departure_term_days", "30"), ("entry_ban_years", True), ("household.minor_children", "2"),
    ("external_reference", 12345), ("person.address.postcode", 1000), ("person.national_number", 90010200190),
])
def test_json_types_are_strict(api_register, path, value):
    """Loose types would silently switch flags that relax legal guards: each is a field error."""
    _client, api = api_register
    payload = order_payload()
    node = payload
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    assert attrs(api.post(ORDERS, payload, format="json")) == {path: "invalid"}
    assert Case.objects.count() == 0


def test_a_null_item_in_a_batch_is_answered_on_its_own(api_register):
    _client, api = api_register
    response = run_batch(api, {"orders": [order_payload(external_reference="B-OK"), None]}, format="json")
    assert response.status_code == 200, response.content
    lines = response.json()["results"]
    assert [line["status"] for line in lines] == ["created", "invalid"]


def test_a_batch_is_a_job_idempotent_on_its_key_and_readable_while_pending(api_register, django_capture_on_commit_callbacks):
    from cases.api.batch import process_order_batch
    from cases.api.models import OrderBatch

    _client, api = api_register
    orders = {"orders": [order_payload(f"JOB-{i}", person__dossier_number=f"J-{i}") for i in range(5)]}
    with django_capture_on_commit_callbacks() as queued:
        accepted = api.post(BATCH, orders, format="json", HTTP_IDEMPOTENCY_KEY="job-1")
    assert accepted.status_code == 202 and len(queued) == 1  # the task is queued after commit
    body = accepted.json()
    assert body["status"] == "queued" and body["counts"]["pending"] == 5
    assert [line["status"] for line in body["results"]] == ["pending"] * 5
    again = api.post(BATCH, orders, format="json", HTTP_IDEMPOTENCY_KEY="job-1")
    assert again.status_code == 202 and again.json()["id"] == body["id"] and OrderBatch.objects.count() == 1
    process_order_batch(batch_id=body["id"])
    process_order_batch(batch_id=body["id"])  # a redelivered task changes nothing
    done = api.get(body["url"]).json()
    assert done["status"] == "done" and done["counts"]["created"] == 5 and done["processed"] == 5
    assert all(line["case"]["url"].endswith(f"/api/v1/cases/{line['case']['id']}/") for line in done["results"])
    assert Case.objects.count() == 5


def test_a_batch_is_processed_chunk_by_chunk_and_another_client_cannot_read_it(api_register, api_partner, settings):
    from cases.api.batch import _process_chunk
    from cases.api.models import OrderBatch

    settings.RETURNPATH_API_BATCH_CHUNK = 2
    _client, api = api_register
    body = api.post(BATCH, {"orders": [order_payload(f"CH-{i}", person__dossier_number=f"C-{i}") for i in range(5)]},
                    format="json").json()
    batch = OrderBatch.objects.get(pk=body["id"])
    assert _process_chunk(batch) == 2  # one chunk, committed: its answers readable at once
    partial = api.get(body["url"]).json()
    assert [line["status"] for line in partial["results"]] == ["created", "created", "pending", "pending", "pending"]
    assert partial["processed"] == 2
    _other, partner = api_partner
    assert partner.get(body["url"]).status_code == 404


@pytest.mark.parametrize(("orders", "chunks"), [(5, [2, 2, 1]), (4, [2, 2, 0]), (1, [1])])
def test_a_short_chunk_is_the_jobs_last(api_register, settings, monkeypatch, orders, chunks):
    """A chunk with fewer orders than the chunk size took every pending one: the job asks no more
    (decision 119); a full last chunk is followed by one empty look."""
    from cases.api import batch as batch_jobs

    settings.RETURNPATH_API_BATCH_CHUNK = 2
    _client, api = api_register
    body = api.post(BATCH, {"orders": [order_payload(f"SC-{i}", person__dossier_number=f"S-{i}") for i in range(orders)]},
                    format="json").json()
    sizes, real = [], batch_jobs._process_chunk
    monkeypatch.setattr(batch_jobs, "_process_chunk", lambda batch: sizes.append(real(batch)) or sizes[-1])
    assert batch_jobs.process_order_batch(batch_id=body["id"]).status == "done"
    assert sizes == chunks
    assert api.get(body["url"]).json()["counts"]["created"] == orders


@pytest.mark.postgres  # the one-statement insert is PostgreSQL's (decision 115); elsewhere the saves
def test_a_new_order_costs_the_same_few_queries_however_many_cases_exist(api_register, django_assert_num_queries):
    """Issue 15: the token with its user and client in one query, then one transaction (here a
    savepoint and its release): the two advisory locks, the reference, the person by every key in
    one query, the counsellor with the load counter, one statement for the inserts (person, case
    and their history rows, the order, the events: decision 115; the load counter: decision 122) — 8, at any size."""
    _client, api = api_register
    for i in range(3):
        assert api.post("/api/v1/orders/", order_payload(f"WARM-{i}", person__dossier_number=f"W-{i}",
                                                        person__family_name=f"Warm{i}"), format="json").status_code == 201
    with django_assert_num_queries(8):
        response = api.post("/api/v1/orders/", order_payload("NEW-1", person__dossier_number="N-1", person__family_name="New"),
                            format="json")
    assert response.status_code == 201
    for i in range(20):
        api.post("/api/v1/orders/", order_payload(f"MORE-{i}", person__dossier_number=f"M-{i}", person__family_name=f"More{i}"),
                 format="json")
    with django_assert_num_queries(8):
        response = api.post("/api/v1/orders/", order_payload("NEW-2", person__dossier_number="N-2", person__family_name="Newer"),
                            format="json")
    assert response.status_code == 201


def test_an_expired_token_is_refused_and_deleted(make_api_client):
    client, token = make_api_client("expiring", scopes=("cases:read",))
    AuthToken.objects.filter(user=client.user).update(expiry=timezone.now() - dt.timedelta(minutes=1))
    assert token_client(token).get("/api/v1/cases/").status_code == 401
    assert not AuthToken.objects.filter(user=client.user).exists()


def test_expired_tokens_are_purged_at_night_and_live_ones_kept(make_api_client):
    from cases.tasks import purge_expired_api_tokens

    client, _token = make_api_client("short-lived", scopes=("cases:read",))
    _other, live = make_api_client("long-lived", scopes=("cases:read",))
    AuthToken.objects.filter(user=client.user).update(expiry=timezone.now() - dt.timedelta(minutes=1))
    assert purge_expired_api_tokens() == 1
    assert not AuthToken.objects.filter(user=client.user).exists()
    assert purge_expired_api_tokens() == 0  # idempotent
    assert token_client(live).get("/api/v1/cases/").status_code == 200


def test_a_disabled_client_is_refused_with_one_query(make_api_client, django_assert_max_num_queries):
    client, token = make_api_client("disabled", scopes=("cases:read",))
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    with django_assert_max_num_queries(1):
        response = token_client(token).get("/api/v1/cases/")
    assert response.status_code == 401
