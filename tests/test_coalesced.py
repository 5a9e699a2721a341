"""Many requests' intakes in one message (decision 124)."""

from __future__ import annotations

import time
import types

import pytest

from counselling import services as counselling_services
from returnpath import coalesced
from tests.cases.test_api_support import order_payload, token_client

pytest_plugins = ["tests.cases.test_api_support"]  # its fixtures


def _task(*, eager: bool = False):
    return types.SimpleNamespace(name="t", app=types.SimpleNamespace(conf=types.SimpleNamespace(task_always_eager=eager)))


@pytest.fixture
def sent(monkeypatch):
    calls: list[dict] = []
    monkeypatch.setattr(coalesced, "enqueue", lambda task, **kwargs: calls.append(kwargs))
    return calls


def _wait_for(condition, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_ids_added_within_the_window_go_as_one_message(sent):
    task = _task()
    intakes = coalesced.Coalesced(lambda: task, "case_ids", window=lambda: 0.2)
    for case_id in (3, 1, 2, 1):
        intakes.add(case_id)
    assert sent == []  # not in the caller: after the window, from the flusher
    assert _wait_for(lambda: sent)
    time.sleep(0.1)
    assert sent == [{"case_ids": [3, 1, 2]}]  # in order, once each
    intakes.add(4)  # a later window, a later message
    assert _wait_for(lambda: len(sent) == 2)
    assert sent[1] == {"case_ids": [4]}


def test_a_full_window_is_sent_at_once_by_the_caller(sent):
    intakes = coalesced.Coalesced(lambda: _task(), "case_ids", window=lambda: 60, max_items=3)
    for case_id in (1, 2, 3):
        intakes.add(case_id)
    assert sent == [{"case_ids": [1, 2, 3]}]
    assert intakes.pending() == []


@pytest.mark.parametrize(("eager", "window"), [(True, 0.2), (False, 0)])
def test_eager_tasks_or_no_window_send_each_id_at_once(sent, eager, window):
    intakes = coalesced.Coalesced(lambda: _task(eager=eager), "case_ids", window=lambda: window)
    intakes.add(7)
    intakes.add(8)
    assert sent == [{"case_ids": [7]}, {"case_ids": [8]}]


def test_flush_sends_what_is_pending_once(sent):
    intakes = coalesced.Coalesced(lambda: _task(), "case_ids", window=lambda: 60)
    intakes.add(5)
    intakes.flush()  # as at the process's exit
    intakes.flush()
    assert sent == [{"case_ids": [5]}]


def test_a_broken_broker_does_not_stop_the_flusher(monkeypatch):
    calls = []

    def flaky(task, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("broker gone")

    monkeypatch.setattr(coalesced, "enqueue", flaky)
    intakes = coalesced.Coalesced(lambda: _task(), "case_ids", window=lambda: 0.05)
    intakes.add(1)
    assert _wait_for(lambda: len(calls) == 1)
    intakes.add(2)
    assert _wait_for(lambda: len(calls) == 2)
    assert calls == [{"case_ids": [1]}, {"case_ids": [2]}]


@pytest.mark.django_db(transaction=True)
def test_orders_queue_their_intakes_together_after_commit(sent, settings, make_api_client, reference_data, office, counsellor):
    settings.RETURNPATH_INTAKE_BATCH_MS = 300
    _client, token = make_api_client("register", scopes=("orders:write",))
    api = token_client(token)
    ids = []
    for index in range(3):
        answer = api.post("/api/v1/orders/", order_payload(f"COALESCE-{index}"), format="json")
        assert answer.status_code == 201, answer.content
        ids.append(answer.json()["id"])
    assert _wait_for(lambda: sent)
    time.sleep(0.1)
    counselling_services.INTAKES.flush()
    assert [case_id for message in sent for case_id in message["case_ids"]] == ids
    assert len(sent) < 3
