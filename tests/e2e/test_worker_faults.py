"""A real Celery worker against Redis and PostgreSQL, killed mid-sweep (issue 5, item 6).

The test owns its Redis: a separate ``redis-server`` on port 6390 without persistence, killed
and restarted by its pid (the shared 6379 server is never touched). Workers are subprocesses
(``celery -A returnpath worker --pool solo``) pointed at the pytest database, which is why the
test is transactional: the worker must see committed rows.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from cases.models import COUNSELLED_STATES, Case, Person, Playbook
from counselling.models import Conversation, OutboundMessage, SweepRun
from offices.models import ConsultationHours, Membership, Office, StaffProfile
from tests import factories as f
from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]
REDIS_PORT = int(os.environ.get("RETURNPATH_FAULT_REDIS_PORT", "6390"))
CASES = 2400
COUNSELLORS = 24

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _wait(predicate, timeout: float, what: str, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    runs = list(SweepRun.objects.order_by("started_at").values_list("name", "finished_at", "counts", "error"))
    raise AssertionError(f"timed out waiting for {what}; sweep runs: {runs}")


class OwnRedis:
    """A redis-server this test starts, kills (SIGKILL) and restarts empty, by pid."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{REDIS_PORT}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--maxmemory-policy", "noeviction"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        _wait(lambda: not _port_free(REDIS_PORT), 10, "redis to listen")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        _wait(lambda: _port_free(REDIS_PORT), 10, "redis to stop")

    def queue_length(self) -> int:
        import redis

        return redis.Redis.from_url(self.url).llen("celery")


@pytest.fixture
def own_redis(tmp_path):
    need(shutil.which("redis-server") is not None, "this test needs redis-server on the PATH")
    need(_port_free(REDIS_PORT), f"port {REDIS_PORT} for the test's own Redis is taken")
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.kill()


class Workers:
    def __init__(self, tmp_path: Path, broker: str):
        self.tmp_path = tmp_path
        self.broker = broker
        self.started: list[subprocess.Popen] = []
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "returnpath.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": broker,
            "RETURNPATH_SWEEP_BATCH_SIZE": "40",
            "RETURNPATH_SMS_BACKEND": "counselling.sms.FileSmsBackend",
            "RETURNPATH_SMS_FILE": str(tmp_path / "sms.jsonl"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "LOG_LEVEL": "WARNING",
        }

    def start(self, name: str) -> subprocess.Popen:
        log = (self.tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "returnpath", "worker", "--pool", "solo", "--loglevel", "WARNING",
             "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.started:
            self.kill(process)


@pytest.fixture
def workers(tmp_path, own_redis):
    pool = Workers(tmp_path, own_redis.url)
    yield pool
    pool.stop_all()


def make_caseload() -> tuple[Office, list[int]]:
    office = f.OfficeFactory(code="FAULT-1", name="Fault office", phone="02 000 00 00")
    ConsultationHours.objects.bulk_create([
        ConsultationHours(office=office, weekday=day, opens=dt.time(8), closes=dt.time(18)) for day in range(5)
    ])
    counsellors = []
    for index in range(COUNSELLORS):
        user = f.UserFactory(username=f"fault-{index}")
        StaffProfile.objects.create(user=user, languages=["nl", "fr"], conversations_per_day=10)
        Membership.objects.create(user=user, office=office)
        counsellors.append(user)
    playbook = Playbook.objects.get_or_create(target_group="individual")[0]
    people = Person.objects.bulk_create([
        Person(family_name=f"Fault{i}", given_names="P", languages=["fr"], postcode="1000",
               email=f"p{i}@example.org" if i % 3 == 0 else "", phone=f"+3247{i:07d}" if i % 2 == 0 else "")
        for i in range(CASES)
    ])
    Case.objects.bulk_create([
        Case(person=person, office=office, counsellor=counsellors[i % COUNSELLORS], playbook=playbook, target_group="individual")
        for i, person in enumerate(people)
    ])
    return office, counsellors


def planned_count() -> int:
    return Conversation.objects.filter(status="planned").count()


def test_sigkill_mid_sweep_and_redis_restart_lose_nothing_and_duplicate_nothing(workers, own_redis, tmp_path):
    make_caseload()
    producer = Celery("fault-test", broker=own_redis.url)

    # 1. A worker starts the sweeps; it is killed with SIGKILL halfway through the planning.
    first = workers.start("first")
    producer.send_task("counselling.sweep_all")
    at_kill = _wait(lambda: (n := planned_count()) >= 200 and n, 60, "the sweep to get going", step=0.01)
    workers.kill(first)
    assert at_kill < CASES, "the sweep finished before it could be killed: make the batch smaller"
    assert SweepRun.objects.filter(name="plan_missing_conversations", finished_at__isnull=True).exists()

    # 2. Work queued while no worker listens, then Redis dies without persistence: all of it is lost.
    for _ in range(3):
        producer.send_task("counselling.sweep", args=("send_due_messages",))
    assert own_redis.queue_length() >= 3
    own_redis.kill()
    own_redis.start()
    assert own_redis.queue_length() == 0

    # 3. A new worker and the next beat tick find the same rows in the database; this worker is
    #    killed in turn while it sends invitations.
    producer = Celery("fault-test-2", broker=own_redis.url)
    second = workers.start("second")
    producer.send_task("counselling.sweep_all")
    _wait(lambda: OutboundMessage.objects.count() >= 150, 90, "invitations to go out", step=0.01)
    workers.kill(second)
    claimed_at_kill = OutboundMessage.objects.count()

    # 4. A third worker, two more rounds of sweeps.
    workers.start("third")
    before = SweepRun.objects.filter(name="send_due_messages", finished_at__isnull=False).count()
    producer.send_task("counselling.sweep_all")
    producer.send_task("counselling.sweep_all")
    _wait(lambda: SweepRun.objects.filter(name="send_due_messages", finished_at__isnull=False).count() >= before + 2,
          90, "two rounds of sweeps on the third worker", step=0.2)

    # Every open counselled case has exactly one planned conversation.
    counselled = Case.objects.filter(state__in=COUNSELLED_STATES).annotate(
        planned=Count("conversations", filter=Q(conversations__status="planned"))
    )
    assert counselled.count() == CASES
    assert not counselled.exclude(planned=1).exists()
    # No counsellor is double-booked, and nobody has more than the day allows.
    per_day = collections.Counter()
    by_counsellor = collections.defaultdict(list)
    for counsellor_id, start, minutes in Conversation.objects.filter(status="planned").values_list("counsellor_id", "planned_at", "duration_minutes"):
        by_counsellor[counsellor_id].append((start, start + dt.timedelta(minutes=minutes)))
        per_day[(counsellor_id, timezone.localtime(start).date())] += 1
    for slots in by_counsellor.values():
        slots.sort()
        assert all(a_end <= b_start for (_a, a_end), (b_start, _b) in itertools.pairwise(slots))
    assert max(per_day.values()) <= 10
    # Every reachable person's conversation was claimed for each channel exactly once; what the
    # killed worker had claimed but not marked stays claimed (at most once), everything else is sent.
    reachable = Conversation.objects.filter(status="planned").exclude(case__person__email="", case__person__phone="")
    assert not reachable.filter(invitation_sent_at__isnull=True).exists()
    expected = sum(bool(p.email) + bool(p.phone) for p in Person.objects.filter(family_name__startswith="Fault"))
    messages = OutboundMessage.objects.filter(kind="invitation")
    assert claimed_at_kill < expected, "the message sweep finished before it could be killed"
    assert messages.count() == expected
    stuck = messages.filter(status="claimed").count()
    assert messages.filter(status="sent").count() == expected - stuck
    assert stuck <= 2 * 40  # at most the batch the killed worker held
    sms_lines = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text().splitlines()]
    sent_sms = messages.filter(channel="sms", status="sent").count()
    assert sent_sms <= len(sms_lines) <= sent_sms + stuck
    assert len({line["to"] for line in sms_lines}) == len(sms_lines), "an SMS went out twice"
    print(f"planned at first kill: {at_kill}/{CASES}; messages at second kill: {claimed_at_kill}/{expected}; "
          f"claimed but unconfirmed: {stuck}")
