"""JSON log lines (python-json-logger) without what could carry personal data.

Django attaches the request object to some records (``extra={"request": ...}``); its text
holds the query string, where a search box puts a person's name. It is left out, as are the
raw ``args`` (the message is already formatted with them).
"""

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)
