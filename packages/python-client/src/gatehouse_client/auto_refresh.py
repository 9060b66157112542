"""A timer that refreshes the session shortly before its access token expires."""

import threading
import time
from typing import Callable, Optional

# Never sooner than this, so a server handing out very short tokens cannot make it spin.
MIN_DELAY = 1.0


class RefreshTimer:
    """One pending daemon timer at a time (a script still exits while one is pending)."""

    def __init__(self, run: Callable[[], None]) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._timer: Optional[threading.Timer] = None

    def schedule_at(self, when: float) -> None:
        self.schedule_in(when - time.time())

    def schedule_in(self, delay: float) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(max(delay, MIN_DELAY), self._run)
            self._timer.daemon = True
            self._timer.name = "gatehouse-refresh"
            self._timer.start()

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
