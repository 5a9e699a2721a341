"""Fixtures and helpers of the API tests (imported by the test_api* modules; holds no tests)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from cases.api.auth import ALL_SCOPES, create_client_token

PROBLEM = "application/problem+json"
# What an order api_register gets: everything but reading other clients' cases.
OWN_SCOPES = ("orders:write", "cases:read", "procedures:write", "departures:write")


def order_payload(reference: str = "OQT-2026-000001", **overrides) -> dict:
    today = timezone.localdate()
    payload = {
        "external_reference": reference,
        "issued_on": (today - dt.timedelta(days=12)).isoformat(),
        "notified_on": (today - dt.timedelta(days=10)).isoformat(),
        "departure_term_days": 30,
        "term_reason": "",
        "legal_basis": "art. 7, 1°",
        "entry_ban_years": 0,
        "person": {
            "family_name": "El Amrani",
            "given_names": "Youssef",
            "birth_date": "1990-04-02",
            "sex": "M",
            "nationality": "MA",
            "national_number": "",
            "dossier_number": f"D-{reference}",
            "languages": ["ar", "fr"],
            "address": {"street": "Rue Haute 10", "postcode": "1000", "municipality": "Bruxelles"},
            "phone": "+32 470 12 34 56",
            "email": "",
        },
        "household": {"minor_children": 0, "unaccompanied_minor": False},
        "flags": {"public_order": False, "nuisance": False, "vulnerable": False},
    }
    for key, value in overrides.items():
        node = payload
        *parents, last = key.split("__")
        for parent in parents:
            node = node[parent]
        node[last] = value
    return copy.deepcopy(payload)


def token_client(token: str | None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def _clean_api_cache():
    cache.clear()  # throttle counters must not leak between tests
    yield
    cache.clear()


@pytest.fixture
def make_api_client(db):
    def make(name: str = "order-api_register", scopes=ALL_SCOPES, **kwargs):
        client, _created, token = create_client_token(name=name, scopes=list(scopes), **kwargs)
        return client, token

    return make


@pytest.fixture
def api_register(make_api_client, office, counsellor):
    """The order api_register with every scope, and an office + counsellor serving Brussels."""
    client, token = make_api_client("order-api_register", scopes=OWN_SCOPES, throttle_rate="10000/min")
    return client, token_client(token)


@pytest.fixture
def api_partner(make_api_client, office):
    client, token = make_api_client("api_partner-agency", scopes=OWN_SCOPES, throttle_rate="10000/min")
    return client, token_client(token)
