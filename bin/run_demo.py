"""Serve the demo: one Celery worker with its embedded beat (the only beat) and the web server.

The web server is gunicorn with threads, as in production (gunicorn.conf.py), not runserver:
runserver opens a thread per request and each one kept its own persistent PostgreSQL
connection, so eight concurrent API clients exhausted the server's connections (issue 13, item
11). Here the threads are a fixed pool (WEB_CONCURRENCY × GUNICORN_THREADS connections at most).

The worker is started first; both children are stopped, by their own process ids, when this
script stops (Ctrl-C or SIGTERM). RETURNPATH_DEMO_BIND chooses the address (127.0.0.1:8000).
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
python = sys.executable
bind = os.environ.get("RETURNPATH_DEMO_BIND", "127.0.0.1:8000")
# A demo shows what users see: the application's own error pages, not Django's debug pages.
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("WEB_CONCURRENCY", "2")
os.environ.setdefault("GUNICORN_THREADS", "4")
data_dir = Path(os.environ.get("CELERY_DATA_DIR", ROOT / ".celery-broker"))


def _stop(*_args):
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, _stop)
children: list[subprocess.Popen] = []
try:
    children.append(subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [python, "-m", "celery", "-A", "returnpath", "worker", "--beat", "--loglevel", "INFO", "--concurrency", "2",
         "--schedule", str(data_dir / "beat-schedule")],
        cwd=ROOT,
    ))
    print(f"ReturnPath demo: http://{bind}  (logins in README.md; Ctrl-C stops)", flush=True)
    server = subprocess.Popen(  # noqa: S603
        [python, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--bind", bind, "returnpath.wsgi"], cwd=ROOT,
    )
    children.append(server)
    server.wait()
except KeyboardInterrupt:
    pass
finally:
    for child in reversed(children):
        if child.poll() is None:
            os.kill(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
