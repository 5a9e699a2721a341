"""Where one order's Python goes, as a gunicorn worker runs it: orders posted straight to the
WSGI handler (no test client: its signals and response capture are not in production) on one
persistent connection, under cProfile or timed::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<generated db> CELERY_BROKER_URL=memory:// \\
      DJANGO_ALLOWED_HOSTS=127.0.0.1 DATABASE_CONN_MAX_AGE=600 .venv/bin/python bench/order_profile.py [n] [--profile out.prof]

Prints the process CPU per order and per raw-INSERT baseline request (bench/baseline_urls.py),
alternated, and the PostgreSQL backend's CPU per request (read from /proc).
"""

import argparse
import cProfile
import io
import json
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.baseline_settings"

import scale


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=200)
    parser.add_argument("--profile", help="write the orders' cProfile here")
    args = parser.parse_args()
    scale._django()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    from bench.baseline_urls import RAW_INSERT_TABLE

    token = scale._token(["orders:write", "cases:read"])
    with connection.cursor() as cursor:
        cursor.execute(RAW_INSERT_TABLE)
    handler = WSGIHandler()

    def post(path: str, body: bytes, auth: bool) -> None:
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
                   "HTTP_HOST": "127.0.0.1", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
                   "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1",
                   "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.errors": sys.stderr}
        if auth:
            environ["HTTP_AUTHORIZATION"] = f"Token {token}"
        status = []
        response = handler(environ, lambda s, h, exc_info=None: status.append(s))
        b"".join(response)
        response.close()
        assert status[0].startswith("201"), (status, path)

    def order() -> None:
        post("/api/v1/orders/", json.dumps(scale._payload(f"prof-{uuid.uuid4().hex[:12]}")).encode(), True)

    def raw() -> None:
        post("/bench/raw-insert/", json.dumps({"tag": uuid.uuid4().hex}).encode(), False)

    profile = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not waits
    for name, request in (("raw-INSERT view", raw), ("order", order), ("raw-INSERT view", raw), ("order", order)):
        for _ in range(5):
            request()
        pg, py = scale.backend_cpu_seconds(), time.process_time()
        if profile and name == "order":
            profile.enable()
        for _ in range(args.n):
            request()
        if profile:
            profile.disable()
        print(f"{name:<16} Python CPU {(time.process_time() - py) * 1000 / args.n:6.2f} ms   "
              f"PostgreSQL CPU {(scale.backend_cpu_seconds() - pg) * 1000 / args.n:6.2f} ms   per request")
    if profile:
        profile.dump_stats(args.profile)


if __name__ == "__main__":
    main()
