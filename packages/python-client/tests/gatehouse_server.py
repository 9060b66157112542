"""
A real Gatehouse for the SDK's tests: the server process in dev mode (its built-in mock Google),
on a free port, with a private data folder, and on the real Postgres and Redis when DATABASE_URL
and REDIS_URL are set (a private database and Redis key prefix, dropped afterwards).

GATEHOUSE_SERVER_CMD overrides the command (default ``npx tsx src/main.ts``, run from the
repository root; e.g. ``node dist/main.js``). GATEHOUSE_REQUIRE_REAL_BACKENDS=1 refuses to fall
back to the embedded database and in-process cache.
"""

import atexit
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_CMD = "npx tsx src/main.ts"
START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", admin_url, "-qAtc", sql], check=True, capture_output=True, timeout=60)


def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


class GatehouseServer:
    """One server process; ``stop()`` ends it and drops what it created."""

    def __init__(self, extra_env: Optional[Dict[str, str]] = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_key = secrets.token_urlsafe(32)
        self.data_dir = tempfile.mkdtemp(prefix="gatehouse-py-")
        self._log_path = os.path.join(self.data_dir, "server.log")
        self._database_url: Optional[str] = None
        self._admin_database_url: Optional[str] = None
        self._database_name: Optional[str] = None
        self._redis_url: Optional[str] = None
        self._redis_prefix: Optional[str] = None
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "PUBLIC_URL": self.url,
            "DATA_DIR": self.data_dir,
            "LOG_LEVEL": "warn",
            "ADMIN_KEY": self.admin_key,
        }
        env.update(self._backends())
        env.update(extra_env or {})
        cmd = shlex.split(os.environ.get("GATEHOUSE_SERVER_CMD") or DEFAULT_CMD)
        self._log = open(self._log_path, "wb")
        # A session of its own, so stop() ends the whole tree (npx → node) with one signal.
        self._process = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_until_up()
            self._check_backends()
        except BaseException:
            self.stop()
            raise

    def _backends(self) -> Dict[str, str]:
        required = os.environ.get("GATEHOUSE_REQUIRE_REAL_BACKENDS") == "1"
        database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
        if required and not (database_url and redis_url):
            raise RuntimeError("GATEHOUSE_REQUIRE_REAL_BACKENDS=1 needs DATABASE_URL and REDIS_URL")
        env: Dict[str, str] = {}
        if database_url:
            # A private database: the server encrypts its signing keys under this run's dev
            # ENCRYPTION_KEYS, which another run could not decrypt. gh_test_ is the prefix CI sweeps.
            self._database_name = f"gh_test_py_{secrets.token_hex(6)}"
            self._admin_database_url = database_url
            _psql(database_url, f"CREATE DATABASE {self._database_name}")
            self._database_url = _with_database(database_url, self._database_name)
            env["DATABASE_URL"] = self._database_url
        if redis_url:
            self._redis_url = redis_url
            self._redis_prefix = f"gh_test_py_{secrets.token_hex(6)}:"
            env["REDIS_URL"] = redis_url
            env["REDIS_KEY_PREFIX"] = self._redis_prefix
        return env

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the server exited with {self._process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as res:
                    if res.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        raise RuntimeError(f"the server did not answer /health within {START_TIMEOUT:g} s:\n{self.output()}")

    def _check_backends(self) -> None:
        """The server really runs on what it was given (not a silent fallback to embedded storage)."""
        with urllib.request.urlopen(self.url + "/ready", timeout=10) as res:
            checks = json.loads(res.read())["checks"]
        expected = ("postgres" if self._database_url else "pglite", "redis" if self._redis_url else "memory")
        actual = (checks["postgres"]["backend"], checks["redis"]["backend"])
        if actual != expected:
            raise RuntimeError(f"the server runs on {actual}, expected {expected}")

    def output(self) -> str:
        with open(self._log_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    @property
    def backend(self) -> str:
        return "postgres+redis" if self._database_url and self._redis_url else "embedded"

    def admin(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """A call to the admin API with X-Admin-Key."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={"X-Admin-Key": self.admin_key, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.loads(res.read())

    def register_public_client(self, **fields: Any) -> str:
        """
        A public client (PKCE, no secret) with the loopback redirect any port matches (RFC 8252 §7.3).
        A field given as None is left out (a device client registers no redirect URL).
        """
        body = {
            "app_name": "Python SDK test",
            "contact_email": "dev@example.com",
            "redirect_url": "http://127.0.0.1/callback",
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
            "scope": "openid profile email",
            **fields,
        }
        return str(self.admin("POST", "/clients/register", {k: v for k, v in body.items() if v is not None})["client_id"])

    def stop(self) -> None:
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._log.close()
        if self._database_name and self._admin_database_url:
            _psql(self._admin_database_url, f"DROP DATABASE IF EXISTS {self._database_name} WITH (FORCE)")
            self._database_name = None
        if self._redis_prefix and self._redis_url and shutil.which("redis-cli"):
            keys = subprocess.run(
                ["redis-cli", "-u", self._redis_url, "--scan", "--pattern", self._redis_prefix + "*"], capture_output=True, text=True, timeout=30
            ).stdout.split()
            if keys:
                subprocess.run(["redis-cli", "-u", self._redis_url, "DEL", *keys], capture_output=True, timeout=30)
            self._redis_prefix = None
        shutil.rmtree(self.data_dir, ignore_errors=True)


_shared: Optional[GatehouseServer] = None


def shared_server() -> GatehouseServer:
    """
    The server every test module uses: starting one takes several seconds, and the tests share
    nothing else (each registers its own client and signs in its own people).
    """
    global _shared
    if _shared is None:
        _shared = GatehouseServer()
        atexit.register(_shared.stop)
    return _shared
