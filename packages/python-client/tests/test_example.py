"""examples/game_loop.py signs the player in through its game loop and prints them."""

import contextlib
import importlib.util
import io
import os
import unittest

from support import GatehouseTestCase

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "game_loop.py")


def load_example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("game_loop", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class GameLoopExampleTest(GatehouseTestCase):
    def test_the_loop_signs_in_and_prints_the_player(self) -> None:
        game_loop = load_example()
        browser = self.browser()
        game = game_loop.Game(self.manager(open_browser=browser.open))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            game.run(max_seconds=60)
        self.assertIsNone(game.failed)
        self.assertEqual(game.player.email, browser.email)
        self.assertIn(f"<{browser.email}>", out.getvalue())


if __name__ == "__main__":
    unittest.main()
