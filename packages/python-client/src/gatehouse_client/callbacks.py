"""Callbacks for the app, queued by the SDK's threads and run on the app's own thread."""

import queue
from typing import Any, Callable, Tuple

Callback = Tuple[Callable[..., Any], Tuple[Any, ...]]


class CallbackQueue:
    """
    A game loop or GUI toolkit must not be called from a background thread, so the login and
    refresh threads never call the app directly: they queue the call, and the app's thread runs
    it in ``run_pending()`` (``OAuthManager.process_callbacks()``), once per frame or event-loop
    turn.
    """

    def __init__(self) -> None:
        self._queue: "queue.SimpleQueue[Callback]" = queue.SimpleQueue()

    def put(self, fn: Callable[..., Any], *args: Any) -> None:
        self._queue.put((fn, args))

    def run_pending(self) -> int:
        """
        Runs what was queued before this call, in order, and returns how many ran. A callback that
        raises stops the run and the exception reaches the caller; the callbacks after it stay
        queued for the next call.
        """
        count = self._queue.qsize()
        ran = 0
        while ran < count:
            try:
                fn, args = self._queue.get_nowait()
            except queue.Empty:
                break
            ran += 1
            fn(*args)
        return ran
