"""Small writes gathered in the process and handed on together, at most a second later.

Counting a widget view or logging a search is a write to Redis on every request; at thousands of requests a second
those round trips cost more than the page. ``Batch`` keeps such items in the process's memory and hands them to its
``deliver`` function in one go from a timer thread, ``seconds`` after the first of them arrived: a request adds to a
list and carries on. A process that stops normally hands on what it holds as it exits; one that is killed loses it
(at most that last second). That is the price of not writing on every request, and it is paid for counts and the
search log only, never for anything a person did on purpose.

Used only when the cache is shared (Redis): without Redis the cache is the process's own memory, as cheap as the
list here.
"""

import atexit
import logging
import threading

log = logging.getLogger(__name__)


class Batch:
    instances = []  # every batch made, so that tests can empty them all between tests

    def __init__(self, deliver, *, seconds=1.0, name="batch"):
        self.deliver, self.seconds, self.name = deliver, seconds, name
        self._items, self._timer = [], None
        self._lock = threading.Lock()
        Batch.instances.append(self)
        atexit.register(self.flush)  # a process that stops normally (a restart, a deploy) hands on what it holds

    def discard(self):
        """Forget what has gathered, undelivered (between tests)."""
        with self._lock:
            self._items = []
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def add(self, item):
        with self._lock:
            self._items.append(item)
            if self._timer is None:
                self._timer = threading.Timer(self.seconds, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self):
        """Hand on what has gathered (the timer does it; tests and shutdown may too)."""
        with self._lock:
            items, self._items = self._items, []
            timer, self._timer = self._timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()
        if items:
            try:
                self.deliver(items)
            except Exception:
                log.exception("Could not hand on %d gathered items (%s)", len(items), self.name)
        return len(items)
