"""Load benchmark: ``python -m chat_server bench [options]`` (see docs/performance.md).

Starts real server processes on 127.0.0.1 (and a redis-server for the scale-out runs)
and drives them with several load-generator processes that speak raw Engine.IO /
Socket.IO framing (chat_server/bench/eio.py). Reports:

* idle visitors held by one process, RSS per idle connection, connections per second;
* relayed messages per second (visitor emit -> operator receive) with p50/p95/p99
  latency at a fixed offered rate, and the saturation throughput (closed loop);
* the same relay on a bare python-socketio server (chat_server/bench/baseline_server.py);
* one process against two processes sharing a Redis;
* optionally (phases ``redis1_wait``, ``redis2_wait``) the same with a replica of that
  Redis and ``CHAT_REDIS_WAIT_REPLICAS=1``: what it costs that every write is on the
  replica before it is acknowledged (the default behind Redis Sentinel).
* ``--phases soak`` (not run by default): conversations that start, talk, drop and
  resume, are transferred and end, continuously, on two processes over one Redis, with
  everything lost, duplicated or out of order, and the servers' RSS growth
  (chat_server/bench/soak.py). Any fault found makes the exit status 1.

Servers run with ``CHAT_RATE_LIMITS=false``: every client comes from 127.0.0.1, which
the production limits would (rightly) throttle. Nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import centres as bench_centres
from . import soak, workers

ROOT = Path(__file__).resolve().parents[2]


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - 127.0.0.1 only
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(url)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuSampler:
    """Samples the CPU time of groups of processes (servers, load generators, Redis) in
    a thread, so a phase's CPU cost per message can be computed afterwards from the
    phase's start and end times. CPU per message is the figure that stays meaningful
    when other work shares the machine."""

    def __init__(self, groups: dict[str, list[int]], interval: float = 0.1) -> None:
        import threading

        self.groups = groups
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(
                    (
                        time.monotonic(),
                        {g: sum(cpu_seconds(p) for p in pids) for g, pids in self.groups.items()},
                    )
                )
            except (OSError, IndexError):
                pass
            self._stop.wait(interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def between(self, start: float, end: float, group: str = "servers") -> float:
        def at(t: float) -> float:
            return min(self.samples, key=lambda s: abs(s[0] - t))[1][group]

        return at(end) - at(start)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@dataclass
class Deployment:
    """Server processes of one configuration, plus what the generators need to know."""

    kind: str  # "embedded" | "redis" | "baseline" | "baseline-direct"
    urls: list[str]
    procs: list[subprocess.Popen[bytes]]
    staff: list[dict[str, str]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)  # each server's stdout and stderr

    def stop(self) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="rc-bench-"))
        self.redis: subprocess.Popen[bytes] | None = None
        self.redis_port = 0
        self.replica: subprocess.Popen[bytes] | None = None
        self.results: dict[str, Any] = {}
        self.runs: dict[str, list[dict[str, Any]]] = {}

    # infrastructure -------------------------------------------------------------------
    def start_redis(self, replica: bool = False) -> None:
        """The Redis of the scale-out phases; with ``replica``, also a replica of it
        (replication without files on either end, as deploy/ configures it)."""
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.redis_port = free_port()
        common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.tmp)]
        common += ["--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--repl-diskless-load", "swapdb"]
        self.redis = subprocess.Popen(
            [binary, "--port", str(self.redis_port), *common],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        ports = [self.redis_port]
        if replica:
            ports.append(free_port())
            self.replica = subprocess.Popen(
                [binary, "--port", str(ports[1]), *common, "--replicaof", "127.0.0.1", str(self.redis_port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 10
        for port in ports:
            while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode:
                if time.monotonic() > deadline:
                    raise TimeoutError("redis-server did not start")
                time.sleep(0.05)
        if replica:
            # Until the primary counts the replica for WAIT (after its first acks); one
            # connection, since WAIT waits for what its own connection wrote.
            while time.monotonic() < deadline:
                probe = subprocess.run(
                    ["redis-cli", "-p", str(self.redis_port)],
                    input="SET probe 1\nWAIT 1 100\nDEL probe\n",
                    capture_output=True,
                    text=True,
                )
                if probe.stdout.split()[1:2] == ["1"]:
                    break
            else:
                raise TimeoutError("the replica did not acknowledge writes")

    def env(self, kind: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHAT_")}
        data = self.tmp / kind
        env.update(
            CHAT_DATA_DIR=str(data),
            CHAT_RATE_LIMITS="false",
            CHAT_LOG_LEVEL="WARNING",
            CHAT_SECRET_KEY="bench-" + kind + "-secret-0123456789abcdef",
            # One benchmark operator answers many conversations at once.
            CHAT_MAX_CHATS_DEFAULT="100000",
            # Each generator's operator accepts its own visitors' chats.
            CHAT_ROUTING_MODE="pick",
        )
        if kind.startswith("redis"):
            env.update(
                CHAT_EPHEMERAL_URL=f"redis://127.0.0.1:{self.redis_port}/0",
                CHAT_DURABLE_URL=f"redis://127.0.0.1:{self.redis_port}/1",
                CHAT_REDIS_WAIT_REPLICAS="1" if kind == "redis-wait" else "0",
            )
        env.update(overrides or {})
        return env

    def create_staff(
        self, kind: str, count: int, role: str = "operator", centre_ids: list[str] | None = None
    ) -> list[dict[str, str]]:
        """``count`` accounts with ``role``; account i works in centre
        ``centre_ids[i % len(centre_ids)]`` (default: ``default``)."""
        from chat_server.security import totp

        centre_ids = centre_ids or [bench_centres.DEFAULT]
        staff, adding = [], []
        for i in range(count):
            username = f"bench-{secrets.token_hex(3)}-{i}"
            password = "bench password " + secrets.token_hex(8)
            secret = totp.new_secret()
            pw, tf = self.tmp / f"pw-{username}", self.tmp / f"totp-{username}"
            pw.write_text(password)
            tf.write_text(secret)
            centre = centre_ids[i % len(centre_ids)]
            adding.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "chat_server",
                        "operators",
                        "add",
                        username,
                        "--name",
                        f"Op {i}",
                        "--role",
                        role,
                        "--password-file",
                        str(pw),
                        "--totp-secret-file",
                        str(tf),
                        "--centre",
                        centre,
                    ],
                    cwd=ROOT,
                    env=self.env(kind),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
            staff.append({"username": username, "password": password, "totp": secret, "centre": centre})
        for proc in adding:
            _, err = proc.communicate(timeout=120)
            if proc.returncode:
                raise RuntimeError(err)
        return staff

    def deploy(
        self,
        kind: str,
        processes: int = 1,
        staff: int = 0,
        overrides: dict[str, str] | None = None,
        centres: int = 1,
    ) -> Deployment:
        """Start ``processes`` servers of ``kind`` with ``staff`` operators spread over
        ``centres`` centres (chat_server/bench/centres.py)."""
        if kind.startswith("redis"):
            subprocess.run(
                ["redis-cli", "-p", str(self.redis_port), "FLUSHALL"],
                capture_output=True,
                check=True,
            )
        bare = kind.startswith("baseline")
        ids = bench_centres.create_centres(self.env(kind), centres) if not bare else None
        accounts = self.create_staff(kind, staff, centre_ids=ids) if staff and not bare else []
        urls, procs, logs = [], [], []
        for _ in range(processes):
            port = free_port()
            if bare:
                cmd = [sys.executable, "-m", "chat_server.bench.baseline_server", "--port", str(port)]
                if kind == "baseline-direct":
                    cmd.append("--direct-emit")
            else:
                cmd = [sys.executable, "-m", "chat_server", "serve", "--port", str(port)]
            logs.append(self.tmp / f"{kind}-{port}.log")
            log = open(logs[-1], "wb")  # noqa: SIM115 - lives with the process
            procs.append(
                subprocess.Popen(cmd, cwd=ROOT, env=self.env(kind, overrides), stdout=log, stderr=subprocess.STDOUT)
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_http(url + "/healthz")
        return Deployment(kind, urls, procs, accounts or [{} for _ in range(staff)], logs)

    def run_workers(
        self, target: Any, tasks: list[dict[str, Any]], on_started: Any = None, timeout: float = 600
    ) -> list[dict[str, Any]]:
        ctx = mp.get_context("spawn")
        barrier = ctx.Barrier(len(tasks))  # the generators start each run together
        queue = ctx.Queue()
        procs = [ctx.Process(target=target, args=(t, barrier, queue), daemon=True) for t in tasks]
        for p in procs:
            p.start()
        if on_started is not None:
            on_started([p.pid for p in procs])
        return self._collect(procs, queue, len(tasks), timeout)

    def _collect(self, procs: list[Any], queue: Any, n: int, timeout: float = 600) -> list[dict[str, Any]]:
        results = [queue.get(timeout=timeout) for _ in range(n)]
        for p in procs:
            p.join(30)
        errors = [r["error"] for r in results if r.get("error")]
        if errors:
            raise RuntimeError("load generator failed: " + errors[0])
        return results

    # phases ---------------------------------------------------------------------------
    def idle(self) -> None:
        """Idle visitors held: by one process in embedded mode, or with
        ``--idle-processes N`` by N processes over Redis (a process's descriptor limit
        caps what one can hold: docs/performance.md "Idle scale"), each generator
        connecting to one of them in turn. RSS is summed over the servers."""
        a = self.args
        dep = self.deploy("embedded") if a.idle_processes <= 1 else self.deploy("redis", a.idle_processes)
        try:
            pids = [p.pid for p in dep.procs]
            per = a.idle // a.gen_procs
            tasks = [
                {
                    "url": dep.urls[i % len(dep.urls)],
                    "count": per + (1 if i < a.idle % a.gen_procs else 0),
                    "concurrency": a.connect_concurrency,
                    "warmup": 50 if i < len(dep.urls) else 0,
                }
                for i in range(a.gen_procs)
            ]
            ctx = mp.get_context("spawn")
            barrier = ctx.Barrier(len(tasks) + 1)
            queue = ctx.Queue()
            procs = [ctx.Process(target=workers.idle_worker, args=(t, barrier, queue), daemon=True) for t in tasks]
            for p in procs:
                p.start()
            barrier.wait(timeout=120)  # warm-up connections made and closed
            time.sleep(1.0)
            before = sum(rss_kib(pid) for pid in pids)
            spies = self.profile("idle", dep)
            barrier.wait(timeout=120)  # go
            barrier.wait(timeout=900)  # everyone connected (or failed)
            for spy in spies:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            time.sleep(2.0)  # let the server settle (buffers, the last session records)
            after = sum(rss_kib(pid) for pid in pids)
            barrier.wait(timeout=60)  # release: close the connections
            results = self._collect(procs, queue, len(tasks))
        finally:
            dep.stop()
        held = sum(r["connected"] for r in results)
        failed = sum(r["failed"] for r in results)
        span = max(r["t_end"] for r in results) - min(r["t_start"] for r in results)
        self.results["idle"] = {
            "processes": len(pids),
            "visitors_requested": a.idle,
            "visitors_held": held,
            "failed": failed,
            "rss_before_kib": before,
            "rss_after_kib": after,
            "rss_per_connection_kib": round((after - before) / max(1, held), 1),
            "connections_per_s": round(held / span, 1) if span > 0 else None,
        }

    def relay(
        self, name: str, kind: str, processes: int, centres: int | None = None, operators: int | None = None
    ) -> None:
        """One run of a relay phase. With several ``centres`` (default ``--centres``),
        ``operators`` (default one per centre, at least one per generator) spread over
        them round-robin and dealt round-robin to the generators; each generator's
        visitors start in its operators' centres in turn: the same conversations and
        messages, spread over the centres."""
        a = self.args
        centres = centres or a.centres
        operators = operators or (a.gen_procs if centres <= 1 else max(a.gen_procs, centres))
        dep = self.deploy(kind, processes, staff=operators, centres=centres)
        try:
            n = len(dep.urls)
            tasks = []
            for i, mine in enumerate(bench_centres.spread(dep.staff, a.gen_procs)):
                tasks.append(
                    {
                        "kind": kind,
                        # "cross" (default): visitors on one process, their operator on the
                        # next, so with two processes every message crosses Redis (the
                        # harder case); "same": both on one process, as when an operator
                        # happens to be on the visitor's node.
                        "visitor_url": dep.urls[i % n],
                        "operator_url": dep.urls[(i + (1 if a.placement == "cross" else 0)) % n],
                        "staff": mine,
                        "conversations": a.conversations // a.gen_procs,
                        "rate": a.rate / a.gen_procs,
                        "duration": a.duration,
                        "window": a.window,
                        "saturate": a.saturate_duration,
                    }
                )
            spies = self.profile(name, dep)
            samplers: list[CpuSampler] = []

            def sample(generator_pids: list[int]) -> None:
                groups = {"servers": [p.pid for p in dep.procs], "generators": generator_pids}
                if kind.startswith("redis") and self.redis is not None:
                    groups["redis"] = [self.redis.pid] + ([self.replica.pid] if self.replica else [])
                samplers.append(CpuSampler(groups))

            try:
                results = self.run_workers(workers.relay_worker, tasks, on_started=sample)
            finally:
                for s in samplers:
                    s.stop()
                for spy in spies:
                    spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
                    spy.wait(60)
        finally:
            dep.stop()
        if os.environ.get("RC_BENCH_DEBUG"):
            for r in results:
                raw = r["latencies_ms"]
                print(
                    "p99 per 500 msgs:",
                    [
                        round(sorted(raw[i : i + 500])[int(0.99 * len(raw[i : i + 500]))])
                        for i in range(0, len(raw), 500)
                    ],
                    file=sys.stderr,
                )
        lat = sorted(x for r in results for x in r["latencies_ms"])
        sent = sum(r["sent"] for r in results)
        received = sum(r["received"] for r in results)
        out: dict[str, Any] = {
            "processes": processes,
            "store": kind,
            "centres": centres,
            "operators": operators,
            "offered_rate": a.rate,
            "sent": sent,
            "received": received,
            "not_received": sent - received,
            "ack_errors": sum(r["ack_errors"] for r in results),
            "ack_error_codes": {
                code: sum(r["ack_error_codes"].get(code, 0) for r in results)
                for code in sorted({c for r in results for c in r["ack_error_codes"]})
            },
            "relayed_per_s": round(received / a.duration, 1),
        }
        fixed = [
            min(r["times"]["fixed"][0] for r in results),
            max(r["times"]["fixed"][1] for r in results),
        ]
        sampler = samplers[0]
        groups = list(sampler.groups)
        if received:
            out["server_cpu_ms_per_msg"] = round(1000 * sampler.between(*fixed) / received, 3)
            out["server_cpu_utilisation"] = round(sampler.between(*fixed) / (fixed[1] - fixed[0]), 2)
        if lat:
            q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [lat[0]] * 99
            out.update(
                p50_ms=round(q[49], 2),
                p95_ms=round(q[94], 2),
                p99_ms=round(q[98], 2),
                max_ms=round(lat[-1], 2),
            )
        if a.saturate_duration:
            sat_received = sum(r["saturation_received"] for r in results)
            out["saturation_per_s"] = round(sat_received / a.saturate_duration, 1)
            window = [
                min(r["times"]["saturate"][0] for r in results),
                max(r["times"]["saturate"][1] for r in results),
            ]
            if sat_received:
                cpu = sampler.between(*window)
                out["saturation_cpu_ms_per_msg"] = round(1000 * cpu / sat_received, 3)
                out["saturation_cpu_utilisation"] = round(cpu / (window[1] - window[0]), 2)
                # Where the rest of the machine went: the load generators and Redis
                # share the two cores with the servers.
                out["saturation_cpu_ms_per_msg_by_group"] = {
                    g: round(1000 * sampler.between(window[0], window[1], group=g) / sat_received, 3) for g in groups
                }
        self.runs.setdefault(name, []).append(out)
        self.results[name] = self.summary(self.runs[name])

    @staticmethod
    def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
        """The run with the median saturation throughput, plus every run's figures:
        throughput on two shared cores varies by several percent from run to run."""
        ordered = sorted(runs, key=lambda r: r.get("saturation_per_s") or r["relayed_per_s"])
        out = dict(ordered[(len(ordered) - 1) // 2])
        if len(runs) > 1:
            out["runs"] = len(runs)
            out["saturation_per_s_all"] = [r.get("saturation_per_s") for r in runs]
            out["p99_ms_all"] = [r.get("p99_ms") for r in runs]
        return out

    def profile(self, name: str, dep: Deployment) -> list[subprocess.Popen[bytes]]:
        """With ``--profile DIR``: sample every server process with py-spy (from PyPI)."""
        if not self.args.profile:
            return []
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        out = Path(self.args.profile)
        out.mkdir(parents=True, exist_ok=True)
        return [
            subprocess.Popen(
                [
                    spy,
                    "record",
                    "--nonblocking",
                    "-r",
                    "200",
                    "-f",
                    self.args.profile_format,
                    "-o",
                    str(out / f"{name}-{i}.{self.args.profile_format}"),
                    "-p",
                    str(p.pid),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i, p in enumerate(dep.procs)
        ]

    # report ---------------------------------------------------------------------------
    def report(self) -> str:
        r = self.results
        lines = ["", "RC chat benchmark (all on 127.0.0.1; load generator on the same machine)", ""]
        if "soak" in r:
            lines += soak.report(r["soak"], self.args.soak_details)
        if "idle" in r:
            i = r["idle"]
            lines.append(
                f"idle visitors, {i.get('processes', 1)} process(es): "
                f"{i['visitors_held']} held ({i['failed']} failed), "
                f"{i['rss_per_connection_kib']} KiB RSS each "
                f"({i['rss_before_kib']} -> {i['rss_after_kib']} KiB), "
                f"{i['connections_per_s']} connections/s"
            )
        for name, label in (
            ("relay_embedded_1", "1 process, memory store"),
            ("baseline", "bare python-socketio"),
            ("baseline_direct", "bare, our emit path"),
            ("relay_redis_1", "1 process, Redis"),
            ("relay_redis_2", "2 processes, Redis"),
            ("relay_redis_1_wait", "1 process, Redis + WAIT"),
            ("relay_redis_2_wait", "2 processes, Redis + WAIT"),
            ("relay_redis_2_centres_1", "2 processes, Redis, 1 centre"),
            ("relay_redis_2_centres", "2 processes, Redis, centres"),
        ):
            if name not in r:
                continue
            x = r[name]
            if x.get("centres", 1) > 1:
                label = f"{label.split(', centres')[0]}, {x['centres']} centres"
            if name.startswith("relay_redis_2_centres"):
                label += f", {x['operators']} operators"
            lines.append(
                f"relay {label:<24}: {x['relayed_per_s']:>8}/s at offered {x['offered_rate']}/s "
                f"p50 {x.get('p50_ms')} p95 {x.get('p95_ms')} p99 {x.get('p99_ms')} ms, "
                f"not received in time {x['not_received']}, ack errors {x['ack_errors']}; "
                f"saturation {x.get('saturation_per_s')}/s"
            )
            lines.append(
                f"    server CPU per message: {x.get('server_cpu_ms_per_msg')} ms at the fixed rate "
                f"({x.get('server_cpu_utilisation')} cores), "
                f"{x.get('saturation_cpu_ms_per_msg')} ms saturated "
                f"({x.get('saturation_cpu_utilisation')} cores)"
            )
            if x.get("saturation_cpu_ms_per_msg_by_group"):
                lines.append(
                    "    CPU per message saturated, by process group: "
                    + ", ".join(f"{g} {v} ms" for g, v in x["saturation_cpu_ms_per_msg_by_group"].items())
                )
            if x.get("runs"):
                lines.append(
                    f"    {x['runs']} runs, median shown; saturation of each run: "
                    f"{', '.join(str(v) for v in x['saturation_per_s_all'])}/s; "
                    f"p99 of each run: {', '.join(str(v) for v in x['p99_ms_all'])} ms"
                )
            if x.get("ack_error_codes"):
                lines.append(f"    refused messages by code: {x['ack_error_codes']}")
        ratios: dict[str, Any] = {}
        for key, top, bottom in (
            ("server_vs_baseline", "relay_embedded_1", "baseline"),
            ("server_vs_baseline_direct", "relay_embedded_1", "baseline_direct"),
            ("two_vs_one_process", "relay_redis_2", "relay_redis_1"),
            ("wait_vs_none_1_process", "relay_redis_1_wait", "relay_redis_1"),
            ("wait_vs_none_2_processes", "relay_redis_2_wait", "relay_redis_2"),
            ("many_centres_vs_one_2_processes", "relay_redis_2_centres", "relay_redis_2_centres_1"),
        ):
            if top in r and bottom in r and r[bottom].get("saturation_per_s"):
                # Of the medians; and of each interleaved pair of runs, for the spread.
                ratios[key] = round(r[top]["saturation_per_s"] / r[bottom]["saturation_per_s"], 2)
                pairs = zip(self.runs[top], self.runs[bottom], strict=False)
                ratios[key + "_each_run"] = [
                    round(a["saturation_per_s"] / b["saturation_per_s"], 2)
                    for a, b in pairs
                    if a.get("saturation_per_s") and b.get("saturation_per_s")
                ]
        lines += bench_centres.report(r)
        if ratios:
            r["ratios"] = ratios
            lines.append(
                "ratios (saturation throughput, of the medians; each run in brackets): "
                + ", ".join(
                    f"{k} {v} {ratios.get(k + '_each_run')}" for k, v in ratios.items() if not k.endswith("_each_run")
                )
            )
        return "\n".join(lines)

    def close(self) -> None:
        for process in (self.replica, self.redis):
            if process is not None:
                process.terminate()
                process.wait(10)
        if os.environ.get("RC_BENCH_KEEP"):  # server logs, for debugging a run
            print(f"kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


PHASES = ("idle", "embedded", "baseline", "redis1", "redis2")
#: The phases that need the benchmark's redis-server.
REDIS_PHASES = frozenset({"redis1", "redis2", "redis1_wait", "redis2_wait", "redis2_centres", "queue_centres", "soak"})
# Not run by default: the baseline with the chat server's emit path
# (chat_server/transport/direct_emit.py), to see the product's own cost per message;
# the WAIT phases: the Redis phases with a replica and CHAT_REDIS_WAIT_REPLICAS=1; the
# soak (10 minutes by default; chat_server/bench/soak.py).
# The centre phases (issue 19): the two-process relay with --many-centres centres
# (compare with redis2), and the queue events at 1 and --many-centres centres
# (chat_server/bench/centres.py).
EXTRA_PHASES = ("baseline_direct", "redis1_wait", "redis2_wait", "redis2_centres", "queue_centres", "soak")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m chat_server bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--phases",
        default=",".join(PHASES),
        help=f"comma-separated subset of {','.join(PHASES + EXTRA_PHASES)}",
    )
    p.add_argument("--idle", type=int, default=10_000, help="idle visitors to hold in one process")
    p.add_argument(
        "--idle-processes",
        type=int,
        default=1,
        help="servers holding the idle visitors (more than 1: over Redis, the generators spread over them)",
    )
    p.add_argument(
        "--connect-concurrency",
        type=int,
        default=64,
        help="connection attempts in flight per generator",
    )
    p.add_argument("--conversations", type=int, default=200, help="concurrent conversations for the relay")
    p.add_argument("--rate", type=float, default=2000, help="offered messages per second (fixed-rate run)")
    p.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds of the relay's fixed-rate run (default 10) and of the soak (default 600)",
    )
    p.add_argument(
        "--saturate-duration",
        type=float,
        default=8,
        help="seconds of the closed-loop run (0: skip)",
    )
    p.add_argument("--window", type=int, default=2, help="messages in flight per conversation when saturating")
    p.add_argument("--gen-procs", type=int, default=2, help="load-generator processes")
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each relay phase (interleaved); the median is reported",
    )
    p.add_argument(
        "--placement",
        choices=("cross", "same"),
        default="cross",
        help="with several processes: operator on another process than its visitors, or the same",
    )
    centre_opts = p.add_argument_group("centres (issue 19; --phases redis2_centres,queue_centres)")
    centre_opts.add_argument(
        "--centres",
        type=int,
        default=1,
        help="centres of the ordinary relay phases, operators and visitors spread over them (default 1)",
    )
    centre_opts.add_argument(
        "--many-centres", type=int, default=21, help="centres of redis2_centres and of queue_centres' second setup"
    )
    centre_opts.add_argument(
        "--queue-staff", type=int, default=42, help="staff on duty in queue_centres, spread over the centres"
    )
    centre_opts.add_argument("--queue-cycles", type=int, default=400, help="chats started, accepted and ended")
    centre_opts.add_argument("--queue-concurrency", type=int, default=8, help="chats in progress per generator")
    soak_opts = p.add_argument_group("soak (--phases soak)")
    soak_opts.add_argument(
        "--soak-conversations", type=int, default=30, help="conversations running at once (each slot back to back)"
    )
    soak_opts.add_argument(
        "--soak-operators", type=int, default=8, help="staff accounts on duty, spread over both processes"
    )
    soak_opts.add_argument("--soak-max-chats", type=int, default=3, help="each operator's maximum of chats")
    soak_opts.add_argument("--soak-think", type=float, default=1.0, help="mean pause between steps, seconds")
    soak_opts.add_argument(
        "--soak-operator-drops",
        type=float,
        default=45.0,
        help="mean seconds between two console connection drops (0: none)",
    )
    soak_opts.add_argument(
        "--soak-grace",
        type=float,
        default=60.0,
        help="the servers' grace for a visitor gone (CHAT_GRACE_PERIOD_S); a console's is a third of it",
    )
    soak_opts.add_argument(
        "--soak-queue-timeout",
        type=float,
        default=240.0,
        help="seconds a chat may wait for an operator before it counts as stuck",
    )
    soak_opts.add_argument(
        "--seed", type=int, default=None, help="the soak's random seed (default: a new one, printed in the report)"
    )
    soak_opts.add_argument("--soak-details", type=int, default=3, help="faults of each kind printed in full")
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--profile", help="record py-spy profiles of the servers into this directory")
    p.add_argument("--profile-format", default="speedscope", choices=("speedscope", "flamegraph", "raw"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    phases = [x.strip() for x in args.phases.split(",") if x.strip()]
    unknown = set(phases) - set(PHASES) - set(EXTRA_PHASES)
    if unknown:
        print(f"unknown phases: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    # One --duration for two phases of very different length.
    args.soak_duration = args.duration if args.duration is not None else soak.DEFAULT_DURATION_S
    args.duration = args.duration if args.duration is not None else 10.0
    raise_nofile()
    bench = Bench(args)
    try:
        idle_on_redis = "idle" in phases and args.idle_processes > 1
        if idle_on_redis or REDIS_PHASES & set(phases):
            bench.start_redis(replica=bool({"redis1_wait", "redis2_wait"} & set(phases)))
        many = args.many_centres
        relays: dict[str, list[tuple[str, str, int, int | None, int | None]]] = {
            "embedded": [("relay_embedded_1", "embedded", 1, None, None)],
            "baseline": [("baseline", "baseline", 1, None, None)],
            "baseline_direct": [("baseline_direct", "baseline-direct", 1, None, None)],
            "redis1": [("relay_redis_1", "redis", 1, None, None)],
            "redis2": [("relay_redis_2", "redis", 2, None, None)],
            "redis1_wait": [("relay_redis_1_wait", "redis-wait", 1, None, None)],
            "redis2_wait": [("relay_redis_2_wait", "redis-wait", 2, None, None)],
            # The same operators (one per centre of the many) in one centre, then
            # spread over the many centres: only the number of centres differs.
            "redis2_centres": [
                ("relay_redis_2_centres_1", "redis", 2, 1, max(args.gen_procs, many)),
                ("relay_redis_2_centres", "redis", 2, many, None),
            ],
        }
        if "idle" in phases:
            print("running idle …", file=sys.stderr, flush=True)
            bench.idle()
        # Relay phases interleaved (a, b, c, a, b, c, …), so a slow spell of the
        # machine does not fall on one configuration only.
        for rep in range(max(1, args.repeat)):
            for phase in (p for p in phases if p in relays):
                print(f"running {phase} ({rep + 1}/{args.repeat}) …", file=sys.stderr, flush=True)
                for config in relays[phase]:
                    bench.relay(*config)
            if "queue_centres" in phases:
                for count in (1, args.many_centres):
                    print(f"running queue_centres at {count} ({rep + 1}/{args.repeat}) …", file=sys.stderr, flush=True)
                    bench_centres.queue_phase(bench, count)
        if "soak" in phases:
            print(f"running soak ({args.soak_duration:.0f} s) …", file=sys.stderr, flush=True)
            soak.run(bench)
        print(bench.report())
        if args.json:
            Path(args.json).write_text(json.dumps(bench.results, indent=2))
    finally:
        bench.close()
    return 1 if bench.results.get("soak", {}).get("faults") else 0
