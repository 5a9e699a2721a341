"""Fixtures of the return work: cases in the right states, a partner and an identification unit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.api.auth import create_client_token
from cases.models import State
from tests import factories as f
from tests.cases.test_api_support import token_client


@pytest.fixture
def voluntary_case(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.VOLUNTARY_RETURN,
                         voluntary_return_agreed_at=timezone.now())
    f.OrderFactory(case=case)
    return case


@pytest.fixture
def forced_case(office, counsellor):
    case = f.CaseFactory(office=office, counsellor=counsellor, state=State.FORCED_RETURN)
    f.OrderFactory(case=case)
    return case


def _client(name: str, scopes: list[str]):
    client, _created, token = create_client_token(name=name, scopes=scopes, throttle_rate="10000/min")
    return client, token_client(token)


@pytest.fixture
def partner(db):
    return _client("return-partner", ["returns:partner"])


@pytest.fixture
def other_partner(db):
    return _client("other-partner", ["returns:partner"])


@pytest.fixture
def identification(db):
    return _client("identification-unit", ["identification:write"])


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def yesterday(today):
    return today - dt.timedelta(days=1)
