"""process_callbacks(): queued calls run in order on the caller's thread (no server needed)."""

import threading
import unittest
from typing import List

from gatehouse_client.callbacks import CallbackQueue


class CallbackQueueTest(unittest.TestCase):
    def test_callbacks_queued_from_another_thread_run_in_order_on_the_caller(self) -> None:
        queue = CallbackQueue()
        ran: List[object] = []
        worker = threading.Thread(target=lambda: [queue.put(lambda n: ran.append((n, threading.get_ident())), i) for i in range(3)])
        worker.start()
        worker.join()
        self.assertEqual(ran, [])
        self.assertEqual(queue.run_pending(), 3)
        self.assertEqual(ran, [(i, threading.get_ident()) for i in range(3)])
        self.assertEqual(queue.run_pending(), 0)

    def test_a_raising_callback_reaches_the_caller_and_the_rest_wait_for_the_next_call(self) -> None:
        queue = CallbackQueue()
        ran: List[str] = []

        def boom() -> None:
            raise RuntimeError("app bug")

        queue.put(ran.append, "first")
        queue.put(boom)
        queue.put(ran.append, "third")
        with self.assertRaisesRegex(RuntimeError, "app bug"):
            queue.run_pending()
        self.assertEqual(ran, ["first"])
        self.assertEqual(queue.run_pending(), 1)
        self.assertEqual(ran, ["first", "third"])

    def test_a_callback_queued_while_running_waits_for_the_next_call(self) -> None:
        # A frame's work stays bounded: what a callback queues runs next frame.
        queue = CallbackQueue()
        ran: List[str] = []
        queue.put(lambda: queue.put(ran.append, "later"))
        self.assertEqual(queue.run_pending(), 1)
        self.assertEqual(ran, [])
        queue.run_pending()
        self.assertEqual(ran, ["later"])


if __name__ == "__main__":
    unittest.main()
