"""The demo holds under concurrency (issue 13, item 11): bin/run_demo.py — what `make run` starts —
serves eight concurrent API clients posting duplicate orders on PostgreSQL without a 500, and
holds a bounded number of database connections (a fixed pool of threads, not one per request)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter

import pytest
import requests
from django.db import connection

from cases.models import OrderToLeave
from tests.cases.test_api_support import OWN_SCOPES, order_payload
from tests.e2e.processes import ROOT, clean_env, database_url, free_port, listening, stop, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CLIENTS = 8
REQUESTS_EACH = 10


def _connections(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name])
        return cursor.fetchone()[0]


def test_the_demo_server_answers_concurrent_clients_without_a_500(reference_data, office, counsellor, tmp_path):
    from cases.api.auth import create_client_token

    _client, _created, token = create_client_token(name="demo-register", scopes=list(OWN_SCOPES), throttle_rate="100000/min")
    port = free_port()
    env = clean_env(DATABASE_URL=database_url(connection.settings_dict), RETURNPATH_DEMO_BIND=f"127.0.0.1:{port}",
                    CELERY_DATA_DIR=str(tmp_path / "broker"), GUNICORN_ACCESS_LOG="", LOG_LEVEL="WARNING")
    log = (tmp_path / "demo.log").open("w")
    demo = subprocess.Popen([sys.executable, "bin/run_demo.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: listening(port) or demo.poll() is not None, 60, "the demo to listen")
        assert demo.poll() is None, (tmp_path / "demo.log").read_text()
        statuses: Counter = Counter()
        peak = [0]
        lock = threading.Lock()
        start = threading.Barrier(CLIENTS)

        def client(number: int) -> None:
            session = requests.Session()
            start.wait()
            for index in range(REQUESTS_EACH):
                reference = f"DEMO-{index % 5}"  # everyone sends the same five orders
                answer = session.post(f"http://127.0.0.1:{port}/api/v1/orders/", timeout=60,
                                      json=order_payload(reference, person__dossier_number=f"DD-{index % 5}"),
                                      headers={"Authorization": f"Token {token}"})
                with lock:
                    statuses[answer.status_code] += 1
                    peak[0] = max(peak[0], _connections(connection.settings_dict["NAME"]))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert set(statuses) <= {200, 201}, statuses
        assert sum(statuses.values()) == CLIENTS * REQUESTS_EACH
        assert OrderToLeave.objects.filter(external_reference__startswith="DEMO-").count() == 5
        # Bounded by the fixed pools, not by the 80 requests: 2 web workers × 4 threads and each worker's
        # main thread, the Celery worker's parent (with beat) and its 2 children, this test's own connection.
        assert peak[0] <= 24, peak[0]
    finally:
        stop(demo, signal.SIGTERM)
    wait_for(lambda: not listening(port), 30, "the demo's web server to stop with it")
