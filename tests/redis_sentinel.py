"""A real Redis Sentinel set on 127.0.0.1 for tests: a primary and a replica (neither
writing to disk) and three sentinels, with short timings so a failover takes about two
seconds (``down-after-milliseconds`` 500; production values are in deploy/)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from .conftest import RedisServer, free_port, start_redis, wait_port

SERVICE = "rc-test"
#: What every node of a replicated ephemeral Redis needs besides --save "" --appendonly
#: no (storage/redis_nodes.py): replication without files, on either end.
DISKLESS = ("--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--repl-diskless-load", "swapdb")


def redis_cli(port: int, *args: str) -> str:
    done = subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10, check=False
    )
    return done.stdout.strip()


@dataclass
class SentinelSet:
    nodes: list[RedisServer]  # [first primary, first replica]
    sentinels: list[tuple[int, subprocess.Popen[bytes]]]
    dir: Path
    service: str = SERVICE

    def url(self, db: int = 0) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port, _ in self.sentinels)
        return f"redis+sentinel://{hosts}/{self.service}/{db}"

    def primary_port(self) -> int:
        """The primary's port as the first sentinel that answers names it."""
        for port, _ in self.sentinels:
            answer = redis_cli(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service).split()
            if len(answer) == 2:
                return int(answer[1])
        raise AssertionError("no sentinel answers")

    def node(self, port: int) -> RedisServer:
        return next(n for n in self.nodes if n.port == port)

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Until every sentinel knows the replica and both other sentinels (before
        that, a failover could not be agreed on) and the replica is in sync."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = all(self._sees_everything(port) for port, _ in self.sentinels)
            replica_port = self.nodes[1].port
            if ready and "master_link_status:up" in redis_cli(replica_port, "INFO", "replication"):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the sentinels did not find each other and the replica in time")
        # WAIT counts a replica that has just synced only after its first
        # acknowledgements; tests expect confirmed writes from the start.
        primary = redis.Redis(port=self.nodes[0].port)
        try:
            primary.set("probe", "1")
            while primary.wait(1, 100) < 1:
                assert time.monotonic() < deadline, "the replica does not acknowledge"
            primary.delete("probe")
        finally:
            primary.close()

    def _sees_everything(self, port: int) -> bool:
        fields = redis_cli(port, "SENTINEL", "MASTER", self.service).split("\n")
        state = dict(zip(fields[::2], fields[1::2], strict=False))
        return state.get("num-slaves") == "1" and state.get("num-other-sentinels") == "2"

    def kill_primary(self) -> RedisServer:
        """SIGKILL the current primary (no goodbye, like a crash)."""
        primary = self.node(self.primary_port())
        primary.process.send_signal(signal.SIGKILL)
        primary.process.wait(5)
        return primary

    def wait_promoted(self, old: RedisServer, timeout: float = 45.0) -> RedisServer:
        """Until the sentinels name another node as primary and it says it is one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            port = self.primary_port()
            if port != old.port and redis_cli(port, "ROLE").split("\n")[0] == "master":
                return self.node(port)
            time.sleep(0.05)
        raise AssertionError("no replica was promoted in time")

    def stop(self) -> None:
        for _, process in self.sentinels:
            process.terminate()
        for node in self.nodes:
            if node.process.poll() is None:
                node.stop()
        for _, process in self.sentinels:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()


def start_sentinel_set(tmp: Path, *, down_after_ms: int = 500, failover_timeout_ms: int = 2000) -> SentinelSet:
    """Primary, replica and three sentinels, all without persistence; returns once the
    sentinels could run a failover (``wait_ready``)."""
    for name in ("primary", "replica", "sentinels"):
        (tmp / name).mkdir(parents=True, exist_ok=True)
    primary = start_redis(tmp / "primary", extra=DISKLESS)
    replica = start_redis(tmp / "replica", extra=(*DISKLESS, "--replicaof", "127.0.0.1", str(primary.port)))
    sentinels: list[tuple[int, subprocess.Popen[bytes]]] = []
    result = SentinelSet([primary, replica], sentinels, tmp)
    try:
        for _ in range(3):
            port = free_port()
            # Sentinel rewrites its file as it learns (peers, epochs, the new primary): it
            # holds addresses and ids only, never data.
            conf = tmp / "sentinels" / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {tmp / 'sentinels'}\n"
                f"logfile {tmp / 'sentinels' / f'sentinel-{port}.log'}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {primary.port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} {down_after_ms}\n"
                f"sentinel failover-timeout {SERVICE} {failover_timeout_ms}\n"
            )
            binary = "/usr/bin/redis-sentinel" if os.path.exists("/usr/bin/redis-sentinel") else "redis-server"
            args = [binary, str(conf)] + ([] if binary.endswith("redis-sentinel") else ["--sentinel"])
            process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            sentinels.append((port, process))
            wait_port(port)
        result.wait_ready()
    except BaseException:
        result.stop()
        raise
    return result
