"""The session on disk: one JSON file per issuer and client, readable by its owner only."""

import json
import os
import re
import secrets
import sys
import urllib.parse
from typing import Optional

from .session import Session

# Owner read/write only: the file holds a refresh token.
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def default_config_dir() -> str:
    """``$XDG_CONFIG_HOME/gatehouse`` (XDG Base Directory; ~/.config when unset), %APPDATA% on Windows."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return os.path.join(os.environ["APPDATA"], "gatehouse")
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "gatehouse")


def default_token_path(issuer: str, client_id: str) -> str:
    """
    ``<config dir>/<issuer host>-<client id>.json``: one file per issuer and client, so two apps (or
    one app against two servers) never share a session. Characters that are not safe in a file
    name on every OS (the port's colon) become ``_``.
    """
    safe = lambda s: re.sub(r"[^A-Za-z0-9._-]", "_", s)  # noqa: E731
    host = urllib.parse.urlsplit(issuer).netloc
    return os.path.join(default_config_dir(), f"{safe(host)}-{safe(client_id)}.json")


class FileTokenStorage:
    """
    Writes go to a temp file created 0600 in the same folder, then replace the file, so a crash or a
    concurrent reader never sees half a file, and a file that had looser permissions is replaced
    rather than rewritten in place. The folder is created 0700.
    """

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)

    def get(self) -> Optional[Session]:
        try:
            with open(self.path, "r", encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            return None
        # A corrupt or foreign file is no session: the next login overwrites it.
        try:
            return Session.from_json(json.loads(text))
        except ValueError:
            return None

    def set(self, session: Session) -> None:
        folder = os.path.dirname(self.path)
        if not os.path.isdir(folder):
            os.makedirs(folder, mode=DIRECTORY_MODE, exist_ok=True)
            _chmod(folder, DIRECTORY_MODE)
        temp = f"{self.path}.{secrets.token_hex(6)}.tmp"
        # O_EXCL: never follow or reuse something already at the temp path.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(session.to_json(), f)
                f.flush()
                os.fsync(f.fileno())
            # os.open's mode is filtered by the umask, which can only remove bits; 0600 either way.
            os.replace(temp, self.path)
        except BaseException:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
            raise

    def clear(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def _chmod(path: str, mode: int) -> None:
    # makedirs applies the mode through the umask and not at all on Windows; be explicit on POSIX.
    if os.name == "posix":
        os.chmod(path, mode)
