"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py returnpath.wsgi`.

A batch of 1,000 orders runs every order through the full service (about 20 s on a 2-core box
under load): the worker timeout must leave room for it, or gunicorn kills the worker mid-batch
and the client loses its answers (the orders committed so far stay; a retry answers "existing").
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
