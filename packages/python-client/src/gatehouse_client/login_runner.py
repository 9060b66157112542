"""Runs one login at a time, on a background thread or on the caller's, and reports through the queue."""

import logging
import threading
from typing import Any, Callable, Optional

from .callbacks import CallbackQueue
from .errors import GatehouseError
from .user import UserInfo

log = logging.getLogger("gatehouse_client")


class LoginRunner:
    def __init__(self, callbacks: CallbackQueue) -> None:
        self._callbacks = callbacks
        self._lock = threading.Lock()
        self._running = False
        # Set by cancel(); the flows check it while they wait.
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()

    def start(
        self,
        flow: Callable[[], UserInfo],
        on_success: Optional[Callable[[UserInfo], Any]],
        on_error: Optional[Callable[[Exception], Any]],
        blocking: bool,
    ) -> Optional[UserInfo]:
        """
        Blocking: runs ``flow`` here, runs the queued callbacks (``on_success`` among them) and
        returns the user; errors are raised. Otherwise: runs ``flow`` on a daemon thread and queues
        ``on_success(user)`` or ``on_error(err)`` (logged when there is no ``on_error``).
        """
        with self._lock:
            if self._running:
                raise GatehouseError("a login is already running")
            self._running = True
            self.cancelled.clear()

        def run() -> UserInfo:
            try:
                return flow()
            finally:
                self._running = False

        if blocking:
            user = run()
            if on_success is not None:
                self._callbacks.put(on_success, user)
            self._callbacks.run_pending()
            return user

        def run_in_background() -> None:
            try:
                user = run()
            except Exception as err:  # noqa: BLE001 (every failure goes to the app)
                if on_error is not None:
                    self._callbacks.put(on_error, err)
                else:
                    log.warning("login failed: %s", err)
                return
            if on_success is not None:
                self._callbacks.put(on_success, user)

        threading.Thread(target=run_in_background, daemon=True, name="gatehouse-login").start()
        return None
