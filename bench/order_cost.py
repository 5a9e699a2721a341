"""Where one order's cost goes: Python CPU in this process and the PostgreSQL backend's CPU.

Runs orders and the raw-INSERT baseline view (bench/baseline_urls.py) through Django's test
client, alternating, on one persistent connection, and prints the CPU time per request of both
sides. The backend's time is read from /proc (the database must run on this machine)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<generated db> CELERY_BROKER_URL=memory:// \\
      DJANGO_ALLOWED_HOSTS=127.0.0.1 DATABASE_CONN_MAX_AGE=600 .venv/bin/python bench/order_cost.py [n]
"""

import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline_settings"

import scale


def main(n: int) -> None:
    scale._django()
    from django.db import connection
    from django.test import Client

    from bench.baseline_urls import RAW_INSERT_TABLE

    token = scale._token(["orders:write"])
    client = Client()
    with connection.cursor() as cursor:
        cursor.execute(RAW_INSERT_TABLE)

    def order() -> None:
        body = json.dumps(scale._payload(f"cost-{uuid.uuid4().hex[:12]}"))
        response = client.post("/api/v1/orders/", body, content_type="application/json",
                               HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
        assert response.status_code == 201, response.content

    def raw() -> None:
        response = client.post("/bench/raw-insert/", json.dumps({"tag": uuid.uuid4().hex}), content_type="application/json",
                               HTTP_HOST="127.0.0.1")
        assert response.status_code == 201, response.content

    for name, request in (("raw-INSERT view", raw), ("order", order), ("raw-INSERT view", raw), ("order", order)):
        for _ in range(5):
            request()
        pg, py = scale.backend_cpu_seconds(), time.process_time()
        for _ in range(n):
            request()
        print(f"{name:<16} Python CPU {(time.process_time() - py) * 1000 / n:6.2f} ms   "
              f"PostgreSQL CPU {(scale.backend_cpu_seconds() - pg) * 1000 / n:6.2f} ms   per request")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
