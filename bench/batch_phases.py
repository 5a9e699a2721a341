"""Where a batch's time goes (decision 112), and the batch figure once the process is warm.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<generated db> CELERY_BROKER_URL=memory:// \
      DJANGO_SETTINGS_MODULE=returnpath.settings .venv/bin/python bench/batch_phases.py [N] [--runs 3]

On a database built by ``seed_volume`` (the orders carry the generated mark, like the scale
bench's). First ``bench/scale.py``'s own batch figure (``figure_batch``) ``--runs`` times in one
process: the first run also pays for the process's imports and caches (what the scale table
reports), the later ones are what a batches worker that has run before pays. Then one batch of
N orders (default 1,000) split into its three phases — accepting the job, processing it as the
worker does, reading the status URL — with each phase's wall time, statements and their time.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="the figure with 200 orders, as scale.py --quick")
    args = parser.parse_args()

    for run in range(args.runs):
        figure = scale.figure_batch(args.quick)
        from django.db import connection

        connection.close()  # its temporary COPY tables go with the connection
        ratio = figure["orders_per_s"] / figure["copy_per_s"]
        print(json.dumps({"run": run + 1, **{k: round(v) for k, v in figure.items()}, "ratio": round(ratio, 4)}))

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from cases.api.batch import process_order_batch

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {scale._token(['orders:write'])}")
    orders = [scale._payload(f"phases-{uuid.uuid4().hex[:12]}") for _ in range(args.n)]
    state: dict = {}

    def accept():
        state["accepted"] = api.post("/api/v1/orders/batch/", {"orders": orders}, format="json", HTTP_HOST="127.0.0.1")

    def process():
        process_order_batch(batch_id=state["accepted"].json()["id"])

    def status():
        state["status"] = api.get(state["accepted"]["Location"], HTTP_HOST="127.0.0.1").json()

    total = 0.0
    for name, phase in (("accept", accept), ("process", process), ("status", status)):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            phase()
            elapsed = time.perf_counter() - started
        total += elapsed
        statements: collections.Counter[str] = collections.Counter()
        for query in captured.captured_queries:
            statements[query["sql"][:80]] += float(query["time"])
        print(f"{name}: {elapsed * 1000:.0f} ms, {len(captured)} statements ({sum(statements.values()) * 1000:.0f} ms; "
              "COPY is not counted)")
        for sql, seconds in statements.most_common(5):
            print(f"    {seconds * 1000:6.0f} ms  {sql}")
    assert state["status"]["counts"]["created"] == args.n, state["status"]["counts"]
    print(f"total {total * 1000:.0f} ms for {args.n} orders: {args.n / total:.0f} orders/s")


if __name__ == "__main__":
    main()
