import os
from datetime import UTC, datetime

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returnpath.settings")

app = Celery("returnpath", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _stamp_heartbeat(sender=None, body=None, **_kwargs):
    """The heartbeat carries the time beat sent it, so /readyz can tell a dead beat from a dead worker."""
    if sender == "counselling.heartbeat" and isinstance(body, tuple | list) and len(body) > 1 and isinstance(body[1], dict):
        body[1].setdefault("sent_at", datetime.now(UTC).isoformat())


@task_prerun.connect
def _task_started(task_id=None, **kwargs):
    from returnpath.observability.metrics import task_started

    task_started(task_id=task_id)


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    from returnpath.observability.metrics import task_finished

    task_finished(task_id=task_id, task=task, state=state)
