"""
A tiny game loop that signs the player in and prints who they are (no pygame: the "frame" is a
print and a sleep). The login waits in the background; the loop keeps running and picks the
result up with process_callbacks(), as a real game would once per frame.

    GATEHOUSE_URL=http://localhost:8000 GATEHOUSE_CLIENT_ID=<public client id> python3 game_loop.py

Register the client once (dev mode prints the admin key on first start):

    curl -s localhost:8000/clients/register -H "X-Admin-Key: $ADMIN" -H 'content-type: application/json' \\
      -d '{"app_name":"My game","contact_email":"me@example.com","redirect_url":"http://127.0.0.1/callback",
           "token_endpoint_auth_method":"none","scope":"openid profile email"}'
"""

import os
import time
from typing import Optional

from gatehouse_client import OAuthManager, UserInfo

FRAME_SECONDS = 1 / 30


class Game:
    def __init__(self, auth: OAuthManager) -> None:
        self.auth = auth
        self.player: Optional[UserInfo] = None
        self.running = True
        self.failed: Optional[Exception] = None

    # Callbacks: run by process_callbacks(), on the game's own thread, between two frames.
    def on_success(self, user: UserInfo) -> None:
        self.player = user
        print(f"Player: {user.name} <{user.email}> (id {user.id})")

    def on_logout(self) -> None:
        self.player = None
        print("Signed out.")

    def on_error(self, err: Exception) -> None:
        self.failed = err
        self.running = False
        print(f"Sign-in failed: {err}")

    def run(self, max_seconds: float = 300.0) -> None:
        self.auth.login(self.on_success, self.on_logout, on_error=self.on_error)
        print("Waiting for you to sign in in the browser…")
        deadline = time.monotonic() + max_seconds
        while self.running and time.monotonic() < deadline:
            self.auth.process_callbacks()
            if self.player is not None:
                # The game would start here; this example stops once it knows the player.
                self.running = False
            time.sleep(FRAME_SECONDS)


def main() -> None:
    auth = OAuthManager(
        os.environ.get("GATEHOUSE_CLIENT_ID", "my-game"),
        backend_url=os.environ.get("GATEHOUSE_URL", "http://localhost:8000"),
    )
    Game(auth).run()
    auth.close()


if __name__ == "__main__":
    main()
