"""Health, readiness, metrics and logs (issue 13, item 9)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from django.utils import timezone

from counselling.models import ServiceHeartbeat
from tests import factories as f

pytestmark = pytest.mark.django_db


def beat_and_worker(age_seconds: int = 0) -> None:
    at = timezone.now() - dt.timedelta(seconds=age_seconds)
    for name in ("beat", "worker"):
        ServiceHeartbeat.objects.update_or_create(name=name, defaults={"at": at})


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_readyz_is_ok_when_every_part_answers(client, settings):
    settings.REDIS_URL = ""
    beat_and_worker()
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json()
    assert set(answer.json()["checks"]) == {"database", "migrations", "redis", "beat", "worker"}


@pytest.mark.parametrize(("part", "setup"), [
    ("worker", lambda settings: ServiceHeartbeat.objects.filter(name="worker").delete()),
    ("beat", lambda settings: ServiceHeartbeat.objects.filter(name="beat").update(at=timezone.now() - dt.timedelta(hours=1))),
    ("redis", lambda settings: setattr(settings, "REDIS_URL", "redis://127.0.0.1:1/0")),
])
def test_readyz_names_the_failing_part_with_a_503(client, settings, part, setup):
    settings.REDIS_URL = ""
    beat_and_worker()
    setup(settings)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer["Retry-After"]
    assert answer.json()["failing"] == [part]


def test_readyz_when_the_database_does_not_answer(client, settings, monkeypatch):
    from returnpath.observability import health

    def down():
        raise health.connections[health.DEFAULT_DB_ALIAS].Database.OperationalError("no route")

    monkeypatch.setitem(health.CHECKS, "database", down)
    settings.REDIS_URL = ""
    body = client.get("/readyz").json()
    assert body["failing"][0] == "database" and body["checks"]["worker"] == "not checked"


def test_metrics_need_the_token_and_show_the_figures(client, settings, case):
    settings.RETURNPATH_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    client.get("/healthz")
    answer = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert answer.status_code == 200
    text = answer.content.decode()
    for name in ("returnpath_http_requests_total", "returnpath_http_request_duration_seconds", "returnpath_open_cases",
                 'returnpath_messages{status="uncertain"}', 'returnpath_messages{status="claimed"}',
                 "returnpath_sweep_lag_seconds", "returnpath_celery_tasks_total", "returnpath_queue_depth",
                 "returnpath_sweep_runs_abandoned"):
        assert name in text, name
    assert 'view="healthz"' in text
    assert case.person.family_name not in text


def test_a_celery_task_is_counted_with_its_duration():
    from returnpath.observability import metrics

    class Task:
        name = "counselling.sweep"

    before = metrics.TASKS.labels(task="counselling.sweep", outcome="failure")._value.get()
    metrics.task_started(task_id="t1")
    metrics.task_finished(task_id="t1", task=Task(), state="FAILURE")
    assert metrics.TASKS.labels(task="counselling.sweep", outcome="failure")._value.get() == before + 1


def test_json_log_lines_carry_the_request_id_and_user_id_not_the_name(client, counsellor, settings, caplog):
    from django.conf import settings as live
    from pythonjsonlogger.json import JsonFormatter

    from returnpath.middleware import RequestIdFilter

    case = f.CaseFactory(counsellor=counsellor, office=counsellor.memberships.first().office)
    client.force_login(counsellor)
    handler = logging.StreamHandler()
    records = []
    handler.emit = lambda record: records.append(record)
    handler.addFilter(RequestIdFilter())
    logging.getLogger("django.request").addHandler(handler)
    try:
        client.get(f"/cases/{case.pk + 999}/", HTTP_X_REQUEST_ID="req-12345678")
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert records, "a 404 is logged"
    fmt = live.LOGGING["formatters"]["json"]
    line = json.loads(JsonFormatter(fmt["fmt"], rename_fields=fmt["rename_fields"]).format(records[-1]))
    assert line["request_id"] == "req-12345678" and line["user_id"] == str(counsellor.pk)
    assert case.person.family_name not in json.dumps(line)
