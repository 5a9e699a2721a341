"""Print the URL of a local service if it answers, else nothing (used by `make test`).

    python bin/service_url.py postgres postgres://postgres@127.0.0.1:5432/returnpath
    python bin/service_url.py redis redis://127.0.0.1:6379/0
"""

import socket
import sys
from urllib.parse import urlparse


def answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=1):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    _kind, url = sys.argv[1], sys.argv[2]
    if answers(url):
        print(url)
