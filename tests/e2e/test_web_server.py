"""The production web server on its own (issue 13, items 2, 4 and 5): gunicorn with threads on a
free port, its own Redis, the pytest database, and every variable they read set here.

- ten clients trickling request bodies do not delay a normal request by more than a second;
- a chunked request body is read and parsed (not taken as empty);
- with Redis killed, the API keeps answering (throttling falls back), never a 500;
- a batch is accepted at once (202) and a real worker settles it while single orders are answered;
- orders from eight clients at once queue their intakes as a few messages, and a real worker plans
  every one of them (decision 124).
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from cases.api.models import OrderBatch
from cases.models import OrderToLeave
from counselling.models import Conversation
from tests.cases.test_api_support import OWN_SCOPES, order_payload
from tests.conftest import need
from tests.e2e.processes import ROOT, OwnRedis, clean_env, database_url, free_port, listening, stop, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def own_redis(tmp_path):
    import shutil

    need(shutil.which("redis-server") is not None, "this test needs redis-server on the PATH")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def stack(tmp_path, own_redis, reference_data, office, counsellor):
    """gunicorn (gthread, as gunicorn.conf.py says) and the environment every process of the test reads."""
    from cases.api.auth import create_client_token

    _client, _created, token = create_client_token(name="register", scopes=list(OWN_SCOPES), throttle_rate="100000/min")
    port = free_port()
    env = clean_env(
        DATABASE_URL=database_url(connection.settings_dict), DATABASE_CONN_MAX_AGE="0",
        REDIS_URL=own_redis.url, CELERY_BROKER_URL=own_redis.url, CELERY_DATA_DIR=str(tmp_path / "celery"),
        DJANGO_ENV="development", DJANGO_DEBUG="false", LOG_LEVEL="WARNING",
        GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2", GUNICORN_ACCESS_LOG="",
        RETURNPATH_CACHE_RETRY_SECONDS="2", RETURNPATH_SWEEP_BATCH_SIZE="50", RETURNPATH_API_BATCH_CHUNK="25",
        RETURNPATH_INTAKE_BATCH_MS="2000",  # wide, so that a slow machine still coalesces the intakes
    )
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "returnpath.wsgi"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_for(lambda: listening(port) or server.poll() is not None, 30, "gunicorn to listen")
    assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
    started = [server]
    yield {"url": f"http://127.0.0.1:{port}", "port": port, "token": token, "env": env, "started": started, "redis": own_redis}
    for process in reversed(started):
        stop(process, __import__("signal").SIGTERM)


def _start_worker(stack, tmp_path, *, queue: str) -> None:
    """A real Celery worker on ``queue``, with the stack's environment (stopped with the stack)."""
    log = (tmp_path / f"worker-{queue}.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "returnpath", "worker", "--pool", "solo", "-Q", queue,
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=stack["env"], stdout=log, stderr=subprocess.STDOUT,
    )
    stack["started"].append(worker)


def _headers(stack):
    return {"Authorization": f"Token {stack['token']}"}


def _timed_reads(stack, n: int) -> list[float]:
    timings = []
    for _ in range(n):
        started = time.monotonic()
        answer = requests.get(f"{stack['url']}/api/v1/cases/", headers=_headers(stack), timeout=10)
        timings.append(time.monotonic() - started)
        assert answer.status_code == 200
    return timings


def test_ten_slow_bodies_do_not_delay_a_normal_request(stack):
    # The same request without slow clients first: it warms the worker and is the baseline, so the
    # assertion is about the delay the slow clients add, not about how fast this machine is.
    baseline = max(_timed_reads(stack, 3)[1:])
    slow, stop_sending = [], threading.Event()
    for _ in range(10):
        sock = socket.create_connection(("127.0.0.1", stack["port"]))
        sock.sendall(f"POST /api/v1/orders/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {stack['token']}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{".encode())
        slow.append(sock)

    def trickle():
        while not stop_sending.wait(0.5):
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.sendall(b" ")

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        time.sleep(1.0)  # every slow client holds its connection now
        timings = _timed_reads(stack, 5)
        assert max(timings) - baseline < 1.0, (baseline, timings)
    finally:
        stop_sending.set()
        for sock in slow:
            sock.close()


def test_a_chunked_body_is_read_and_parsed(stack):
    import json

    body = json.dumps(order_payload("CHUNKED-1")).encode()

    def chunks():
        for start in range(0, len(body), 100):
            yield body[start:start + 100]

    answer = requests.post(f"{stack['url']}/api/v1/orders/", data=chunks(), timeout=30,
                           headers={**_headers(stack), "Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text
    assert OrderToLeave.objects.filter(external_reference="CHUNKED-1").exists()


def test_the_api_keeps_answering_while_redis_is_down(stack):
    assert requests.get(f"{stack['url']}/api/v1/cases/", headers=_headers(stack), timeout=10).status_code == 200
    stack["redis"].kill()
    statuses = []
    started = time.monotonic()
    for index in range(20):
        statuses.append(requests.get(f"{stack['url']}/api/v1/cases/", headers=_headers(stack), timeout=10).status_code)
        if index % 5 == 0:
            statuses.append(requests.post(f"{stack['url']}/api/v1/orders/", json=order_payload(f"NOREDIS-{index}"),
                                          headers=_headers(stack), timeout=30).status_code)
    assert not [s for s in statuses if s >= 500], statuses
    assert time.monotonic() - started < 20
    bad = requests.get(f"{stack['url']}/api/v1/cases/", headers={"Authorization": "Token wrong"}, timeout=10)
    assert bad.status_code == 401
    stack["redis"].start()  # back again: the shared counts are used once the retry period is over
    time.sleep(2.5)
    assert requests.get(f"{stack['url']}/api/v1/cases/", headers=_headers(stack), timeout=10).status_code == 200


def test_a_big_batch_is_a_job_and_single_orders_are_not_queued_behind_it(stack, tmp_path):
    _start_worker(stack, tmp_path, queue="batches")
    orders = [order_payload(f"BIG-{i}", person__dossier_number=f"BIG-{i}", person__family_name=f"Batch{i}") for i in range(200)]

    def single_order(reference: str) -> float:
        started = time.monotonic()
        single = requests.post(f"{stack['url']}/api/v1/orders/", json=order_payload(reference, person__dossier_number=f"S-{reference}"),
                               headers=_headers(stack), timeout=30)
        assert single.status_code == 201, single.text
        return time.monotonic() - started

    # A single order's time on this machine now, before any batch: the baseline of the delays below.
    baseline = max(single_order(f"BEFORE-{index}") for index in range(3))
    started = time.monotonic()
    accepted = requests.post(f"{stack['url']}/api/v1/orders/batch/", json={"orders": orders}, headers=_headers(stack), timeout=30)
    assert accepted.status_code == 202, accepted.text
    # Accepted after validation only, long before 200 orders could have gone through the service.
    assert time.monotonic() - started < 10 * baseline + 2
    status_url = accepted.headers["Location"]
    # Single orders while the batch runs: answered at once, not behind the batch.
    for index in range(5):
        assert single_order(f"SINGLE-{index}") < 3 * baseline + 1
    seen_partial = False

    def finished():
        nonlocal seen_partial
        body = requests.get(status_url, headers=_headers(stack), timeout=10).json()
        seen_partial = seen_partial or 0 < body["processed"] < body["total"]
        return body if body["status"] == "done" else None

    done = wait_for(finished, 240, "the batch to be processed", step=0.3)
    assert done["counts"]["created"] == 200 and done["counts"]["pending"] == 0
    assert all(line["case"]["id"] for line in done["results"])
    assert OrderBatch.objects.get().status == "done"


def test_orders_at_once_are_planned_from_coalesced_intake_messages(stack, tmp_path):
    import redis as redis_lib

    references = [f"INTAKE-{index}" for index in range(16)]

    def post(reference: str):
        return requests.post(f"{stack['url']}/api/v1/orders/", headers=_headers(stack), timeout=30,
                             json=order_payload(reference, person__dossier_number=f"I-{reference}", person__family_name=f"Intake{reference[-2:]}"))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, references))
    assert [a.status_code for a in answers] == [201] * len(references), [a.text for a in answers if a.status_code != 201]
    case_ids = {a.json()["id"] for a in answers}

    queue = redis_lib.Redis.from_url(stack["redis"].url)

    def queued() -> list[dict] | None:
        messages = [json.loads(raw) for raw in queue.lrange("celery", 0, -1)]
        ids = {case_id for m in messages for case_id in json.loads(base64.b64decode(m["body"]))[1]["case_ids"]}
        return messages if ids == case_ids else None

    messages = wait_for(queued, 15, "every intake to be queued")
    assert {m["headers"]["task"] for m in messages} == {"counselling.plan_next_conversations"}
    assert len(messages) <= len(references) // 2, len(messages)  # a few messages, not one per order

    _start_worker(stack, tmp_path, queue="celery")

    def planned() -> bool:
        return Conversation.objects.filter(case_id__in=case_ids, status=Conversation.Status.PLANNED, is_intake=True).count() == len(case_ids)

    wait_for(planned, 120, "every intake to be planned by the worker", step=0.5)
