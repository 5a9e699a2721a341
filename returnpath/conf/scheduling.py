"""Settings of the scheduling work (imported at the end of returnpath.settings).

The beat schedule lives here, in code: exactly one beat process runs it (``celery worker
--beat`` in the demo, one ``celery beat`` in production). Each entry expires after its own
interval, so sweeps queued while no worker listened do not pile up: the next one does the work.
"""

import environ
from celery.schedules import crontab
from kombu import Queue

_env = environ.Env()

RETURNPATH_SWEEP_BATCH_SIZE = _env.int("RETURNPATH_SWEEP_BATCH_SIZE", default=500)
RETURNPATH_PLANNING_MIN_LEAD_HOURS = _env.int("RETURNPATH_PLANNING_MIN_LEAD_HOURS", default=2)
# A case the planner cannot fit anywhere is tried again after this many minutes, or as soon as
# capacity frees in its region (decision 123): the planning sweep does not re-examine it every minute.
RETURNPATH_PLANNING_RETRY_MINUTES = _env.int("RETURNPATH_PLANNING_RETRY_MINUTES", default=15)
RETURNPATH_OVERDUE_GRACE_HOURS = _env.int("RETURNPATH_OVERDUE_GRACE_HOURS", default=3)
RETURNPATH_DEADLINE_WARNING_DAYS = _env.int("RETURNPATH_DEADLINE_WARNING_DAYS", default=7)
RETURNPATH_DETENTION_WARNING_DAYS = _env.int("RETURNPATH_DETENTION_WARNING_DAYS", default=14)
# Four eyes on liberty: a placement in detention and an extension take effect only once a second
# office manager confirms them (decision 012). On unless set to false.
RETURNPATH_FOUR_EYES_DETENTION = _env.bool("RETURNPATH_FOUR_EYES_DETENTION", default=True)
RETURNPATH_SMS_FILE = _env.str("RETURNPATH_SMS_FILE", default="sms-outbox.jsonl")
# Open counselled cases without a planned conversation for longer than this show as stuck.
RETURNPATH_STUCK_AFTER_MINUTES = _env.int("RETURNPATH_STUCK_AFTER_MINUTES", default=60)

# A message claimed by a sender that has not renewed its claim for this long is taken over: never
# started → sent again; started but unconfirmed → settled with the backend or uncertain (decision 030).
RETURNPATH_MESSAGE_LEASE_SECONDS = _env.int("RETURNPATH_MESSAGE_LEASE_SECONDS", default=120)
# A sweep run without a heartbeat for this long is marked abandoned (its worker died; decision 032).
RETURNPATH_SWEEP_LEASE_SECONDS = _env.int("RETURNPATH_SWEEP_LEASE_SECONDS", default=600)

_every = _env.int("RETURNPATH_SWEEP_EVERY_SECONDS", default=60)

CELERY_BEAT_SCHEDULE = {
    "plan-missing-conversations": {
        "task": "counselling.sweep", "schedule": float(_every), "args": ("plan_missing_conversations",),
        "options": {"expires": _every},
    },
    "send-due-messages": {
        "task": "counselling.sweep", "schedule": float(_every), "args": ("send_due_messages",),
        "options": {"expires": _every},
    },
    "flag-overdue-conversations": {
        "task": "counselling.sweep", "schedule": 15 * 60.0, "args": ("flag_overdue_conversations",),
        "options": {"expires": 15 * 60},
    },
    "apply-no-show-rule": {
        "task": "counselling.sweep", "schedule": 15 * 60.0, "args": ("apply_no_show_rule",),
        "options": {"expires": 15 * 60},
    },
    # Warnings are about days: early every morning, and once an hour for what changed since.
    "warn-deadlines-morning": {
        "task": "counselling.sweep", "schedule": crontab(hour=6, minute=5), "args": ("warn_deadlines",),
        "options": {"expires": 3600},
    },
    "warn-deadlines-hourly": {
        "task": "counselling.sweep", "schedule": crontab(minute=35), "args": ("warn_deadlines",),
        "options": {"expires": 3600},
    },
    # An unaccompanied minor's 18th birthday is put before the counsellor the same morning.
    "notice-coming-of-age": {
        "task": "counselling.sweep", "schedule": crontab(hour=6, minute=15), "args": ("notice_coming_of_age",),
        "options": {"expires": 3600},
    },
    # The dashboards' figures, recomputed before the cached ones expire (RETURNPATH_DASHBOARD_MAX_AGE).
    "warm-dashboards": {
        "task": "counselling.warm_dashboards", "schedule": 240.0, "options": {"expires": 240},
    },
    # The tallies' deltas folded on their own clock, not in the warm cycle (decision 110).
    "fold-dashboard-tallies": {
        "task": "counselling.fold_dashboard_tallies", "schedule": 900.0, "options": {"expires": 900},
    },
    # Data protection (DESIGN §7) and API housekeeping, at night.
    "pseudonymise-expired-cases": {
        "task": "cases.pseudonymise_expired", "schedule": crontab(hour=2, minute=15), "options": {"expires": 6 * 3600},
    },
    # Liveness of beat and the workers for /readyz (the task records both).
    "heartbeat": {
        "task": "counselling.heartbeat", "schedule": 30.0, "options": {"expires": 30},
    },
    # A batch whose message was lost (broker down, worker killed) is queued again.
    "resume-order-batches": {
        "task": "cases.resume_order_batches", "schedule": 60.0, "options": {"expires": 60},
    },
    "purge-idempotency-keys": {
        "task": "cases.purge_idempotency_keys", "schedule": crontab(hour=2, minute=45), "options": {"expires": 6 * 3600},
    },
    "purge-expired-api-tokens": {
        "task": "cases.purge_expired_api_tokens", "schedule": crontab(hour=2, minute=50), "options": {"expires": 6 * 3600},
    },
}
# A killed worker's unacked task comes back once the visibility timeout passes; sweeps are
# short, so an hour (the settings default) is plenty, and nothing waits on it: the next beat
# tick runs the sweep anyway.
# Sweeps have their own queue, so a backlog of per-case tasks (a nightly batch of orders queues
# one intake planning per case) never holds them back until they expire. A worker started
# without -Q consumes every queue listed here; production may give sweeps their own worker.
CELERY_TASK_DEFAULT_QUEUE = "celery"
# Order batches have theirs too (issue 13, item 4): a thousand orders never hold up a sweep or a
# per-case task; production runs a worker for "batches" apart (deploy/).
CELERY_TASK_QUEUES = (Queue("celery"), Queue("sweeps"), Queue("batches"))
CELERY_TASK_ROUTES = {
    "counselling.sweep": {"queue": "sweeps"}, "counselling.sweep_all": {"queue": "sweeps"},
    "counselling.heartbeat": {"queue": "sweeps"},
    "cases.process_order_batch": {"queue": "batches"}, "cases.resume_order_batches": {"queue": "batches"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# /readyz fails when beat or every worker has been silent longer than this.
RETURNPATH_HEARTBEAT_MAX_AGE_SECONDS = _env.int("RETURNPATH_HEARTBEAT_MAX_AGE_SECONDS", default=180)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # Django LOGGING (JSON in production) for the workers too
