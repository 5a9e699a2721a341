"""The application's settings plus one bare view, for bench/scale.py only (never deployed).

The baseline of the single-order figure is "a bare raw-INSERT Django view under the same
gunicorn": the same processes, middleware and database, one INSERT per POST and nothing else.
"""

from returnpath.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline_urls"
