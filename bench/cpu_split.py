"""Where the single-order figure's CPU goes: per request, the gunicorn workers', the database
backends' and the client's CPU (read from ``/proc`` around each phase), for the raw-INSERT baseline
and for orders, the server started as ``bench/scale.py``'s figure starts it::

    DJANGO_SETTINGS_MODULE=returnpath.settings DJANGO_DEBUG=false DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \\
      CELERY_BROKER_URL=memory:// DATABASE_CONN_MAX_AGE=0 .venv/bin/python bench/cpu_split.py [seconds]

"other" is every other process of the machine (kernel threads, other work): on a quiet machine
it stays small, and the per-process figures are what one request costs.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale


def _cpu_by_kind(database: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        if "postgres" in stat.split(")")[0]:
            kind = "database backend" if database in command else "database, other"
        elif "gunicorn" in command:
            kind = "gunicorn"
        elif int(pid) == os.getpid():
            kind = "client"
        else:
            kind = "other"
        out[kind] = out.get(kind, 0.0) + seconds
    return out


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    scale._django()
    from django.db import connection

    from bench.baseline_urls import RAW_INSERT_TABLE

    with connection.cursor() as cursor:
        cursor.execute(RAW_INSERT_TABLE)
    database = connection.settings_dict["NAME"]
    token = scale._token(["orders:write", "cases:read"])
    headers = {"Content-Type": "application/json", "Host": "127.0.0.1"}
    phases = (("raw-INSERT view", "/bench/raw-insert/", lambda tag: {"tag": tag}, headers),
              ("order", "/api/v1/orders/", scale._payload, {**headers, "Authorization": f"Token {token}"}))
    with scale.order_server() as server:
        port = server.port
        for name, path, body, phase_headers in phases:
            scale._hammer(port, path, body, phase_headers, 8, 2)  # warm
            before, started = _cpu_by_kind(database), time.monotonic()
            rate, p95 = scale._hammer(port, path, body, phase_headers, 8, seconds)
            requests = rate * (time.monotonic() - started)
            after = _cpu_by_kind(database)
            split = "  ".join(f"{kind} {1000 * (after.get(kind, 0) - before.get(kind, 0)) / requests:.2f} ms" for kind in sorted(after))
            print(f"{name:<16} {rate:7.1f}/s  p95 {p95:6.1f} ms   CPU per request: {split}")

if __name__ == "__main__":
    main()
