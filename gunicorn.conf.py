"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py returnpath.wsgi`.

Threads (gthread), not one request per process: a client that sends its body slowly holds one
thread, not a whole worker, and the worker's own heartbeat never waits on a request, so a long
request is not killed half-way with gunicorn's HTML error page (issue 13, items 4 and 5). The
documented production front is nginx (deploy/nginx.conf), which buffers whole request bodies
before they reach gunicorn. Big order batches are jobs (202 + status URL), so no request needs
minutes; the database's statement timeout (DATABASE_STATEMENT_TIMEOUT_MS, set here for the
web processes only) bounds the rest, answered as problem+json 503.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# One worker may accept every slow client at once (accepts are not spread evenly), so each
# worker needs more threads than the slow clients it should survive without nginx in front.
# Each thread may hold a database connection: WEB_CONCURRENCY × GUNICORN_THREADS must stay under
# PostgreSQL's max_connections (deploy/ raises it to 200).
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # "" turns it off
# Access lines carry no query string (it can hold names typed into a search box).
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", "30000")
# gunicorn is the production server: never Django's DEBUG here unless asked for (DJANGO_DEBUG=true),
# whatever DJANGO_ENV says: DEBUG keeps every statement's SQL in a log per connection and formats
# it (a tenth of an order's Python), and answers errors with tracebacks.
os.environ.setdefault("DJANGO_DEBUG", "false")
