"""No duplicate, no loss: many connections post the same orders at once to a real server on
PostgreSQL, with retries after client-side timeouts, with and without Idempotency-Key.

Afterwards the database holds exactly one order and one case per distinct reference, every
answer was 201 or 200 — 409 only for the deliberately conflicting variants — and every answer
about a reference names the same case.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict

import pytest
import requests

from cases.models import Case, OrderToLeave, Person
from tests import factories as f
from tests.cases.test_api_support import OWN_SCOPES, order_payload

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

THREADS = 8
REQUESTS_PER_THREAD = 25
DISTINCT = 20  # references sent by everyone with the same content
CONFLICTING = 3  # references sent in two contents: one wins, the other is refused with 409


def _orders():
    same = [order_payload(f"PAR-{i:03d}", person__dossier_number=f"DOS-{i:03d}", person__family_name=f"Parallel{i}")
            for i in range(DISTINCT)]
    variants = []
    for i in range(CONFLICTING):
        base = {"person__dossier_number": f"DOS-C{i}", "person__family_name": f"Conflict{i}"}
        variants.append((order_payload(f"CON-{i}", **base),
                         order_payload(f"CON-{i}", departure_term_days=15, term_reason="Risk of absconding", **base)))
    return same, variants


def test_parallel_duplicates_make_one_order_and_one_case_per_reference(reference_data, live_server, office, counsellor):
    from cases.api.auth import create_client_token

    _client, _created, token = create_client_token(name="register", scopes=list(OWN_SCOPES), throttle_rate="100000/min")
    f.staff(username="counsellor.two", office=office)
    same, variants = _orders()
    url = f"{live_server.url}/api/v1/orders/"
    answers: list[tuple[str, int, int | None, int]] = []  # (reference, status, case id, variant)
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def post(session, payload, headers):
        # A first attempt with a tiny read timeout often gives up while the server carries on:
        # the retry then races the request it abandoned, the worst case of a real client.
        timeout = 0.05 if random.random() < 0.3 else 30
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                response = session.post(url, json=payload, headers=headers, timeout=timeout)
            except (requests.ConnectionError, requests.Timeout):
                timeout = 30
                continue
            if response.status_code == 409 and response.json()["type"].endswith("/idempotency-key-in-use/"):
                time.sleep(0.05)  # the first request with this key is still running
                continue
            return response
        return None

    def worker(number: int):
        rng = random.Random(number)
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        picks = [rng.randrange(2) for _pair in variants]
        jobs = [(p, 0) for p in same] + [(pair[v], v) for pair, v in zip(variants, picks, strict=True)]
        jobs = (jobs * 2)[:REQUESTS_PER_THREAD]  # every reference, a few twice
        rng.shuffle(jobs)
        start.wait()
        for payload, variant in jobs:
            headers = {}
            if number % 2:  # half the clients also send an Idempotency-Key, one per reference and content
                headers["Idempotency-Key"] = f"{payload['external_reference']}-v{variant}"
            response = post(session, payload, headers)
            with lock:
                if response is None:
                    failures.append(f"{payload['external_reference']}: no answer after retries")
                    continue
                body = response.json()
                answers.append((payload["external_reference"], response.status_code, body.get("id"), variant))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not failures, failures
    assert len(answers) == THREADS * REQUESTS_PER_THREAD

    by_reference = defaultdict(list)
    for reference, status, case_id, variant in answers:
        by_reference[reference].append((status, case_id, variant))

    for reference, seen in by_reference.items():
        statuses = {s for s, _c, _v in seen}
        if reference.startswith("PAR"):
            assert statuses <= {200, 201}, (reference, statuses)
        else:
            assert statuses <= {200, 201, 409}, (reference, statuses)
            winners = {v for s, _c, v in seen if s in (200, 201)}
            losers = {v for s, _c, v in seen if s == 409}
            assert len(winners) == 1 and not (winners & losers), (reference, seen)
        assert len({c for s, c, _v in seen if s in (200, 201)}) == 1, f"{reference} answered with several cases"

    references = [p["external_reference"] for p in same] + [v[0]["external_reference"] for v in variants]
    assert OrderToLeave.objects.count() == len(references)
    assert sorted(OrderToLeave.objects.values_list("external_reference", flat=True)) == sorted(references)
    assert Case.objects.count() == len(references) and Person.objects.count() == len(references)
    for reference, seen in by_reference.items():
        case_id = next(c for s, c, _v in seen if s in (200, 201))
        assert OrderToLeave.objects.get(external_reference=reference).case_id == case_id
