"""Backends for tests that run real workers: a gateway that takes a little time, like a real one.

A real SMS gateway answers in tens to hundreds of milliseconds; a file write takes microseconds,
which would let a worker finish every claimed batch before a kill lands. Half the delay before
the hand-over and half after it, so a kill can cut a send off on either side.
"""

import time

from counselling.sms import FileSmsBackend


class SlowFileSmsBackend(FileSmsBackend):
    delay = 0.01

    def send(self, *, to: str, body: str, key: str = "") -> None:
        time.sleep(self.delay / 2)
        super().send(to=to, body=body, key=key)
        time.sleep(self.delay / 2)
