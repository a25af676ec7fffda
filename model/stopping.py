"""Stopping a translation that another thread started, once its answer is no longer wanted.

    stop = Stop()
    # thread A: translator(image, stop=stop)      -> raises Stopped once stop.request() is called
    # thread B: stop.request()

ONNX Runtime ends a run between two operators (a millisecond or so). Eager torch cannot be
interrupted: it checks the request before it starts, and otherwise runs to the end.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager


class Stopped(Exception):
    """The translation was asked to stop before it finished."""


class Stop:
    def __init__(self):
        self.lock = threading.Lock()
        self.requested = False
        self.runs = []  # ONNX Runtime RunOptions of the runs going on now

    def request(self) -> None:
        with self.lock:
            self.requested = True
            for run in self.runs:
                run.terminate = True

    def check(self) -> None:
        if self.requested:
            raise Stopped()

    @contextmanager
    def watching(self, run_options):
        """While inside: request() terminates the ONNX Runtime run given these options."""
        with self.lock:
            self.check()
            self.runs.append(run_options)
        try:
            yield
        finally:
            with self.lock:
                self.runs.remove(run_options)
