"""Shared fixtures: a real redis-server, real servers on 127.0.0.1, real clients.

Nothing is faked: the Redis runs are started here on a free port (and are never
skipped: ``make test`` installs redis-server), servers listen on real sockets and
clients speak real Engine.IO/Socket.IO.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from chat_server.app import create_app
from chat_server.config import Secret, Settings, load_settings
from chat_server.security import totp
from chat_server.services.container import Services
from chat_server.services.repository import Repository
from chat_server.transport import keys as K

from .helpers import Recorder, StaffCredentials, StaffLogin, login

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]
    dir: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def url_db(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def flush(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "FLUSHALL"], check=True, capture_output=True)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_redis(
    tmp: Path, port: int | None = None, persistent: bool = False, extra: tuple[str, ...] = ()
) -> RedisServer:
    """A redis-server on 127.0.0.1 (``extra``: more options, e.g. ``--replicaof``)."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        raise RuntimeError("redis-server is not installed: run `make test`, which installs it")
    port = port or free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp), "--protected-mode", "yes"]
    args += ["--appendonly", "yes"] if persistent else ["--save", "", "--appendonly", "no"]
    args += list(extra)
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return RedisServer(port, proc, tmp)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "secret_key": Secret(secrets.token_urlsafe(32)),
        "sweep_interval_s": 0.2,
    }
    base.update(overrides)
    return load_settings(env={}, **base)


@dataclass
class LiveServer:
    url: str
    app: web.Application
    runner: web.AppRunner
    settings: Settings
    stopped: bool = False

    @property
    def services(self) -> Services:
        return self.app[K.SERVICES]

    @property
    def repository(self) -> Repository:
        return self.app[K.SERVICES].repository

    @property
    def ephemeral(self) -> Any:
        return self.app[K.EPHEMERAL]

    @property
    def durable(self) -> Any:
        return self.app[K.DURABLE]

    async def create_staff(
        self,
        role: str = "operator",
        name: str | None = None,
        locale: str = "sv",
        languages: list[str] | None = None,
        centres: dict[str, str] | None = None,
        national_admin: bool = False,
    ) -> StaffCredentials:
        """An account (``centres``: ``{centre: role}``, default ``{"default": role}``)."""
        n = secrets.token_hex(3)
        username = f"{role}-{n}"
        password = "correct horse battery " + n
        secret = totp.new_secret()
        staff, _ = await self.app[K.SERVICES].staff.create(
            username,
            name or f"Sara {n}",
            role,
            password,
            secret,
            locale,
            languages or [locale],
            centres=centres,
            national_admin=national_admin,
        )
        return StaffCredentials(username, password, secret, staff["id"], staff["name"], role=role)

    async def stop(self) -> None:
        # A test may stop its server (a server that went away); the fixture's own stop
        # afterwards then does nothing.
        if self.stopped:
            return
        self.stopped = True
        # Bounded so that a stuck shutdown fails loudly in the log instead of hanging
        # the suite.
        try:
            await asyncio.wait_for(self.runner.cleanup(), 30)
        except TimeoutError:
            import logging

            logging.getLogger(__name__).warning("test server at %s did not stop within 30 s", self.url)


async def start_server(settings: Settings) -> LiveServer:
    from chat_server.logging_setup import PrivacyAccessLogger

    app = create_app(settings)
    runner = web.AppRunner(app, access_log_class=PrivacyAccessLogger, shutdown_timeout=1)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return LiveServer(f"http://127.0.0.1:{port}", app, runner, settings)


@pytest.fixture
def secret_key() -> Secret:
    """The test's secret key: every server a test starts on its data folder shares it
    (a durable store refuses a server started with another key)."""
    return Secret(secrets.token_urlsafe(32))


@pytest.fixture
async def server(tmp_path: Path, secret_key: Secret) -> AsyncIterator[LiveServer]:
    """A real server on 127.0.0.1, embedded stores (memory + SQLite)."""
    live = await start_server(make_settings(tmp_path, secret_key=secret_key))
    yield live
    await live.stop()


@pytest.fixture
async def server_factory(tmp_path: Path, secret_key: Secret) -> AsyncIterator[Callable[..., Awaitable[LiveServer]]]:
    """Start extra servers (e.g. with other settings); all are stopped after the test.
    They share the test's data folder and secret key, unless a test passes its own."""
    started: list[LiveServer] = []

    async def factory(**overrides: Any) -> LiveServer:
        if not {"data_dir", "durable_url"} & set(overrides):
            # Its own embedded store (not the `server` fixture's): tests that mean two
            # servers to share one say so with data_dir or durable_url.
            overrides["data_dir"] = tmp_path / f"data-{len(started) + 1}"
        live = await start_server(make_settings(tmp_path, **{"secret_key": secret_key, **overrides}))
        started.append(live)
        return live

    yield factory
    for live in started:
        await live.stop()


@pytest.fixture
def make_operator(server: LiveServer) -> Callable[..., Awaitable[StaffCredentials]]:
    async def factory(role: str = "operator", **kw: Any) -> StaffCredentials:
        return await server.create_staff(role, **kw)

    return factory


@pytest.fixture
async def clients() -> AsyncIterator[list[Recorder]]:
    """Every client created through this list is disconnected after the test."""
    made: list[Recorder] = []
    yield made
    for c in made:
        try:
            await c.disconnect()
        except Exception:  # noqa: BLE001
            pass


@pytest.fixture
def visitor(server: LiveServer, clients: list[Recorder]) -> Callable[..., Awaitable[Recorder]]:
    async def factory(
        auth: dict[str, Any] | None = None, transports: list[str] | None = None, url: str | None = None, **kw: Any
    ) -> Recorder:
        rec = Recorder(url or server.url, "/visitor", **kw)
        clients.append(rec)
        await rec.connect(auth=auth, transports=transports)
        await rec.wait_for("session")
        return rec

    return factory


async def connect_operator(
    base: str, creds: StaffCredentials, clients: list[Recorder], duty: bool = True
) -> tuple[Recorder, StaffLogin]:
    """Log in over HTTP, open /operator with the session cookie, optionally go on duty."""
    session = await login(base, creds)
    rec = Recorder(base, "/operator", headers={"Cookie": session.cookie})
    clients.append(rec)
    await rec.connect()
    await rec.wait_for("session")
    if duty:
        ack = await rec.call("duty", {"on": True})
        assert ack["ok"], ack
    return rec, session


@pytest.fixture
def operator(server: LiveServer, clients: list[Recorder]) -> Callable[..., Awaitable[tuple[Recorder, StaffLogin]]]:
    async def factory(
        creds: StaffCredentials | None = None, duty: bool = True, url: str | None = None, **kw: Any
    ) -> tuple[Recorder, StaffLogin]:
        creds = creds or await server.create_staff(**kw)
        return await connect_operator(url or server.url, creds, clients, duty)

    return factory


#: The installed command (`make install` installs the project into the venv).
RC_CHAT = str(Path(sys.executable).with_name("rc-chat"))


def run_cli(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``rc-chat ARGS`` as an administrator runs it (by default in the checkout)."""
    return subprocess.run(
        [RC_CHAT, *args],
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        input=input,
        timeout=60,
    )


@dataclass
class ServerProcess:
    """``python -m chat_server serve`` as a real child process."""

    url: str
    port: int
    process: subprocess.Popen[str]
    env: dict[str, str]
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def add_staff(self, tmp: Path, role: str = "operator", name: str = "Sara") -> StaffCredentials:
        n = secrets.token_hex(3)
        username, password, secret = f"{role}-{n}", f"correct horse battery {n}", totp.new_secret()
        (tmp / f"pw-{n}").write_text(password)
        (tmp / f"totp-{n}").write_text(secret)
        done = run_cli(
            "operators",
            "add",
            username,
            "--name",
            name,
            "--role",
            role,
            "--password-file",
            str(tmp / f"pw-{n}"),
            "--totp-secret-file",
            str(tmp / f"totp-{n}"),
            env=self.env,
        )
        assert done.returncode == 0, done.stderr
        return StaffCredentials(username, password, secret, name=name, role=role)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def spawn_server(tmp: Path, env: dict[str, str] | None = None, port: int | None = None) -> ServerProcess:
    port = port or free_port()
    full_env = {
        **os.environ,
        "CHAT_DATA_DIR": str(tmp / "data"),
        "CHAT_SECRET_KEY": "test-secret-" + secrets.token_hex(16),
        "CHAT_SWEEP_INTERVAL_S": "0.5",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    log_path = tmp / f"server-{port}.log"
    log_file = log_path.open("w", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "chat_server", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=full_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_port(port, 30)
    except TimeoutError:
        proc.kill()
        raise AssertionError("server did not start:\n" + log_path.read_text())
    return ServerProcess(f"http://127.0.0.1:{port}", port, proc, full_env, log_path)


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def factory(env: dict[str, str] | None = None, port: int | None = None) -> ServerProcess:
        sp = spawn_server(tmp_path, env, port)
        started.append(sp)
        return sp

    yield factory
    for sp in started:
        sp.stop()
