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


def start_redis(tmp: Path, port: int | None = None, persistent: bool = False) -> RedisServer:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(binary):
        raise RuntimeError("redis-server is not installed: run `make test`, which installs it")
    port = port or free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp), "--protected-mode", "yes"]
    args += ["--appendonly", "yes"] if persistent else ["--save", "", "--appendonly", "no"]
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

    @property
    def conversations(self) -> Any:
        return self.app[K.CONVERSATIONS]

    @property
    def ephemeral(self) -> Any:
        return self.app[K.EPHEMERAL]

    @property
    def durable(self) -> Any:
        return self.app[K.DURABLE]

    async def create_staff(self, role: str = "operator", name: str | None = None, locale: str = "sv", languages: list[str] | None = None) -> StaffCredentials:
        n = secrets.token_hex(3)
        username = f"{role}-{n}"
        password = "correct horse battery " + n
        secret = totp.new_secret()
        staff, _ = await self.app[K.STAFF].create(
            username, name or f"Sara {n}", role, password, secret, locale, languages or [locale]
        )
        return StaffCredentials(username, password, secret, staff["id"], staff["name"], role=role)

    async def stop(self) -> None:
        await self.runner.cleanup()


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
async def server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    """A real server on 127.0.0.1, embedded stores (memory + SQLite)."""
    live = await start_server(make_settings(tmp_path))
    yield live
    await live.stop()


@pytest.fixture
async def server_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[LiveServer]]]:
    """Start extra servers (e.g. with other settings); all are stopped after the test."""
    started: list[LiveServer] = []

    async def factory(**overrides: Any) -> LiveServer:
        live = await start_server(make_settings(tmp_path, **overrides))
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
    async def factory(auth: dict[str, Any] | None = None, transports: list[str] | None = None, url: str | None = None, **kw: Any) -> Recorder:
        rec = Recorder(url or server.url, "/visitor", **kw)
        clients.append(rec)
        await rec.connect(auth=auth, transports=transports)
        await rec.wait_for("session")
        return rec

    return factory


@pytest.fixture
def operator(server: LiveServer, clients: list[Recorder]) -> Callable[..., Awaitable[tuple[Recorder, StaffLogin]]]:
    async def factory(creds: StaffCredentials | None = None, duty: bool = True, url: str | None = None, **kw: Any) -> tuple[Recorder, StaffLogin]:
        creds = creds or await server.create_staff(**kw)
        base = url or server.url
        session = await login(base, creds)
        rec = Recorder(base, "/operator", headers={"Cookie": session.cookie})
        clients.append(rec)
        await rec.connect()
        await rec.wait_for("session")
        if duty:
            ack = await rec.call("duty", {"on": True})
            assert ack["ok"], ack
        return rec, session

    return factory


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chat_server", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        input=input,
        timeout=60,
    )
