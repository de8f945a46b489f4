"""The Engine.IO v4 and Socket.IO v5 conformance suites (vendored from the socket.io
repository, see README.md) run by mocha under Node against real servers (servers.py).

Every test must pass except those listed in NOT_APPLICABLE, each with its reason (also
in docs/protocol.md, "Conformance"); a listed test that starts passing fails this too,
so the list stays true.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from .servers import engineio_echo_server, socketio_product_server

HERE = Path(__file__).resolve().parent
MOCHA = HERE / "node_modules" / "mocha" / "bin" / "mocha"

# Full titles of the tests that cannot pass by design, with the reason.
NOT_APPLICABLE: dict[str, str] = {
    "Socket.IO protocol message should send a packet with binary attachments": (
        "the server refuses binary packets: the protocol has no binary payloads (no uploads, "
        "by design) and an announced attachment count would make it buffer frames"
    ),
    "Socket.IO protocol message should send a packet with binary attachments and an ack": (
        "as above: binary packets are refused"
    ),
}


async def run_suite(suite: str, url: str) -> dict[str, Any]:
    """Run the suite; tests that failed (other than NOT_APPLICABLE) run once more.

    Several tests measure windows of 200-500 ms (heartbeats, ping timeout) with no
    margin, so on a machine whose CPU is shared one may miss its window once; a real
    fault fails both times.
    """
    report = await run_mocha(suite, url)
    again = sorted(t["fullTitle"] for t in report["failures"] if t["fullTitle"] not in NOT_APPLICABLE)
    if not again:
        return report
    rerun = await run_mocha(suite, url, "^(" + "|".join(re.escape(title) for title in again) + ")$")
    rerun_passed = {t["fullTitle"] for t in rerun["passes"]}
    report["failures"] = [t for t in report["failures"] if t["fullTitle"] not in rerun_passed]
    report["passes"] += rerun["passes"]
    report["stats"]["passes"] += len(rerun_passed)
    report["retried"] = again
    return report


async def run_mocha(suite: str, url: str, grep: str | None = None) -> dict[str, Any]:
    if not MOCHA.is_file():
        pytest.fail("tests/conformance/node_modules is missing: run `make test` (or `make conformance-deps`)")
    node = shutil.which("node")
    assert node, "node is installed by `make test` (front ends)"
    proc = await asyncio.create_subprocess_exec(
        node,
        str(MOCHA),
        "--reporter",
        "json",
        "--exit",
        *(["--grep", grep] if grep else []),
        f"{suite}/test-suite.js",
        cwd=HERE,
        env={**os.environ, "CONFORMANCE_URL": url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    try:
        report: dict[str, Any] = json.loads(out.decode())
    except ValueError:
        pytest.fail(f"mocha did not report (exit {proc.returncode}):\n{out.decode()[-3000:]}\n{err.decode()[-3000:]}")
    return report


def check(report: dict[str, Any]) -> None:
    failed = {t["fullTitle"]: t["err"].get("message", "") for t in report["failures"]}
    passed = {t["fullTitle"] for t in report["passes"]}
    unexpected = {title: why for title, why in failed.items() if title not in NOT_APPLICABLE}
    assert not unexpected, json.dumps(unexpected, indent=1)
    now_passing = sorted(passed & NOT_APPLICABLE.keys())
    assert not now_passing, f"listed as not applicable but passing (update the list and docs): {now_passing}"
    assert report["stats"]["pending"] == 0
    assert passed, "no test ran"


async def test_engineio_v4_suite() -> None:
    runner, url = await engineio_echo_server()
    try:
        report = await run_suite("engine.io-v4", url)
    finally:
        await runner.cleanup()
    check(report)
    assert (report["stats"]["tests"], report["stats"]["passes"]) == (25, 25)  # as docs/protocol.md says


async def test_socketio_v5_suite(tmp_path: Path) -> None:
    runner, url = await socketio_product_server(tmp_path)
    try:
        report = await run_suite("socket.io-v5", url)
    finally:
        await runner.cleanup()
    check(report)
    assert (report["stats"]["tests"], report["stats"]["passes"]) == (32, 30)  # as docs/protocol.md says
