"""Serve the demo: one Celery worker with its embedded beat (the only beat) and the web server.

The worker is started first and stopped, by its own process id, when the server stops.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
python = sys.executable
# A demo shows what users see: the application's own error pages, not Django's debug pages.
os.environ.setdefault("DJANGO_DEBUG", "false")

worker = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
    [python, "-m", "celery", "-A", "returnpath", "worker", "--beat", "--loglevel", "INFO", "--concurrency", "2",
     "--schedule", str(ROOT / ".celery-broker" / "beat-schedule")],
    cwd=ROOT,
)
try:
    print("ReturnPath demo: http://127.0.0.1:8000  (logins in README.md; Ctrl-C stops)", flush=True)
    subprocess.call([python, "manage.py", "runserver", "127.0.0.1:8000", "--noreload"], cwd=ROOT)  # noqa: S603
finally:
    if worker.poll() is None:
        os.kill(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(worker.pid, signal.SIGKILL)
