"""Orders/s through the batch endpoint vs the single-order endpoint, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/returnpath .venv/bin/python bench/api_batch.py [N]

Works in a scratch database (``bench_<name>``, created and dropped here) through the full
Django stack in process (middleware, token auth, throttling, validation, the service), so the
ratio compares the two paths, not the network. N new orders each way (default 300), then the
same N again (all "existing": the nightly re-load of a register).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returnpath.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # never queue into the demo's broker folder

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def _orders(prefix: str, n: int) -> list[dict]:
    from tests.cases.test_api_support import order_payload

    return [order_payload(f"{prefix}-{i:05d}", person__dossier_number=f"{prefix}-D{i:05d}", person__family_name=f"{prefix}{i}",
                          person__address__postcode=str(1000 + i % 299)) for i in range(n)]


def main(n: int) -> None:
    setup_test_environment()
    db = settings.DATABASES["default"]
    db.setdefault("TEST", {})["NAME"] = f"bench_{Path(str(db['NAME'])).stem}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        from rest_framework.test import APIClient

        from cases.api.auth import create_client_token
        from tests import factories as f

        office = f.OfficeFactory(code="BXL-BENCH", name="Brussels bench office")
        f.ServiceAreaFactory(office=office, postcode_from=1000, postcode_to=1299)
        f.add_weekday_hours(office)
        for i in range(5):
            f.staff(username=f"bench.counsellor{i}", office=office)
        _client, _created, token = create_client_token(name="bench", scopes=["orders:write"], throttle_rate="1000000/min")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")

        def single(orders):
            started = time.perf_counter()
            for order in orders:
                response = api.post("/api/v1/orders/", order, format="json")
                assert response.status_code in (200, 201), response.content[:300]
            return len(orders) / (time.perf_counter() - started)

        from cases.api.batch import process_order_batch

        def batch(orders):
            started = time.perf_counter()
            for at in range(0, len(orders), 1000):
                # Accepted as a job (202); processed here as the batch worker would, then read back.
                accepted = api.post("/api/v1/orders/batch/", {"orders": orders[at:at + 1000]}, format="json")
                assert accepted.status_code == 202, accepted.content[:300]
                process_order_batch(batch_id=accepted.json()["id"])
                counts = api.get(accepted["Location"]).json()["counts"]
                assert counts["invalid"] == counts["conflict"] == counts["error"] == 0, counts
            return len(orders) / (time.perf_counter() - started)

        single_orders, batch_orders = _orders("S", n), _orders("B", n)
        rows = [
            ("new orders", single(single_orders), batch(batch_orders)),
            ("known orders (replay)", single(single_orders), batch(batch_orders)),
        ]
        print(f"{connection.vendor}, {n} orders each way")
        print(f"{'':24} {'single/s':>10} {'batch/s':>10} {'ratio':>7}")
        for label, one, many in rows:
            print(f"{label:24} {one:10.0f} {many:10.0f} {many / one:6.1f}x")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
