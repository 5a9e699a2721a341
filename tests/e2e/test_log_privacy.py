"""A full run's logs hold no personal data (issue 13, item 9).

The demo people are seeded into the test database; gunicorn and a Celery worker run with JSON
logs; the run signs in, searches people by name, opens their cases, posts orders (good, bad
and duplicated) and a batch, fails to authenticate, and lets the worker plan conversations and
send invitations. Then every log line is scanned for the people's names, e-mail addresses,
phone numbers, national numbers and dossier numbers.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys

import pytest
import requests
from celery import Celery
from django.core.management import call_command
from django.db import connection

from cases.models import Case, Person
from counselling.models import SweepRun
from tests.cases.test_api_support import order_payload
from tests.e2e.processes import ROOT, OwnRedis, clean_env, database_url, free_port, listening, stop, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def personal_values() -> set[str]:
    values = set()
    for person in Person.objects.all():
        for value in (person.family_name, person.given_names, person.email, person.phone, person.national_number,
                      person.dossier_number):
            if value and len(value) >= 5:
                values.add(value)
    values |= {"Quorravitch", "Zyxandrine", "+32 470 99 88 77", "quorra@example.org"}
    return values


def test_a_full_run_logs_no_personal_data(tmp_path, monkeypatch):
    import shutil

    # Celery reads CELERY_BROKER_URL before its own configuration: this process's producer must
    # publish to the test's own Redis whatever the caller's shell says.
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)

    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    call_command("seed_demo", cases=60, verbosity=0)
    from cases.api.demo import ensure_demo_client

    _client, token = ensure_demo_client()
    redis = OwnRedis(tmp_path)
    redis.start()
    port = free_port()
    env = clean_env(
        DATABASE_URL=database_url(connection.settings_dict), DATABASE_CONN_MAX_AGE="0",
        REDIS_URL=redis.url, CELERY_BROKER_URL=redis.url, CELERY_DATA_DIR=str(tmp_path / "celery"),
        DJANGO_ENV="development", DJANGO_DEBUG="false", LOG_FORMAT="json", LOG_LEVEL="INFO",
        GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", GUNICORN_THREADS="4",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(tmp_path / "mail"),
        RETURNPATH_SMS_BACKEND="counselling.sms.LoggingSmsBackend",
    )
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "returnpath.wsgi"],
                           cwd=ROOT, env=env, stdout=web_log.open("w"), stderr=subprocess.STDOUT)
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "returnpath", "worker", "--pool", "solo",
                               "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                              cwd=ROOT, env=env, stdout=worker_log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: listening(port), 30, "gunicorn to listen")
        base = f"http://127.0.0.1:{port}"
        api = {"Authorization": f"Token {token}"}
        person = Person.objects.exclude(family_name="").first()
        case = Case.objects.filter(person=person).first()

        # The browser: sign in, search by name, open the case, the operations view.
        browser = requests.Session()
        browser.get(f"{base}/accounts/login/", timeout=10)
        browser.post(f"{base}/accounts/login/", timeout=10, data={
            "username": "coordinator", "password": "returnpath-demo", "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        }, headers={"Referer": f"{base}/accounts/login/"})
        for path in ("/", f"/cases/?q={person.family_name}", f"/cases/{case.pk}/", "/operations/", "/dashboards/national/",
                     f"/cases/?q={person.email or 'x'}", "/cases/999999/"):
            assert browser.get(f"{base}{path}", timeout=30).status_code < 500
        # The API: good, duplicated, invalid and unauthenticated requests, and a batch.
        new = order_payload("LOG-1", person__family_name="Quorravitch", person__given_names="Zyxandrine",
                            person__phone="+32 470 99 88 77", person__email="quorra@example.org", person__dossier_number="LOGDOS-1")
        for _ in range(2):
            assert requests.post(f"{base}/api/v1/orders/", json=new, headers=api, timeout=30).status_code in (200, 201)
        bad = {**new, "external_reference": "LOG-2", "person": {**new["person"], "birth_date": "not a date"}}
        assert requests.post(f"{base}/api/v1/orders/", json=bad, headers=api, timeout=30).status_code == 400
        conflict = {**new, "departure_term_days": 7, "term_reason": "Public order"}
        assert requests.post(f"{base}/api/v1/orders/", json=conflict, headers=api, timeout=30).status_code == 409
        assert requests.get(f"{base}/api/v1/cases/?q={person.family_name}", headers={"Authorization": "Token nope"}, timeout=10).status_code == 401
        assert requests.post(f"{base}/api/v1/orders/batch/", json={"orders": [new, bad]}, headers=api, timeout=30).status_code == 202
        # The worker: plan and send.
        Celery("log-test", broker=redis.url).send_task("counselling.sweep_all")
        wait_for(lambda: SweepRun.objects.filter(name="send_due_messages", finished_at__isnull=False).exists(), 120,
                 "the sweeps to run", step=0.5)
    finally:
        stop(web, signal.SIGTERM)
        stop(worker, signal.SIGTERM)
        redis.kill()

    lines = web_log.read_text().splitlines() + worker_log.read_text().splitlines()
    app_lines = [json.loads(line) for line in lines if line.startswith("{")]
    assert app_lines, "the application logged as JSON"
    assert any(line.get("request_id", "-") != "-" for line in app_lines)
    assert any(line.get("user_id", "-") != "-" for line in app_lines)
    text = "\n".join(lines)
    found = sorted(value for value in personal_values() if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, re.IGNORECASE))
    assert not found, f"personal data in the logs: {found[:10]}"
