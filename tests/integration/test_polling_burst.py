"""Nothing acknowledged at the transport level is lost: the widget's own socket.io-client
(Node, the version widget/package.json pins), long-polling only, sends 50 messages in
one tick and 50 while offline (flushed together on reconnect); each is stored once.

socket.io-client puts every waiting packet into one POST (up to maxPayload);
python-engineio alone answered 200 to a POST of more than 16 packets and dropped them
all (chat_server/transport/engine.py).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from chat_server.transport import keys as K

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("polling_burst.mjs")
COUNT = 50


@pytest.mark.skipif(shutil.which("node") is None, reason="node is installed by `make test` (front ends)")
async def test_polling_bursts_are_stored_exactly_once(server):
    assert (ROOT / "widget" / "node_modules" / "socket.io-client").is_dir(), "run `make frontend` first"
    # 50 messages at once are over the per-connection rate limit (a burst of 20, then
    # refused with `rate_limited`: an answer, not a loss; tests/security/test_flood.py).
    # This test is about the transport, so every message must reach the handler.
    for ns in server.app[K.SIO].namespace_handlers.values():
        ns.rate_limits_enabled = False
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(SCRIPT),
        server.url,
        str(COUNT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()
    result = json.loads(out.decode().strip().splitlines()[-1])

    acks = result["acks"]
    assert len(acks) == 2 * COUNT
    assert all(a["ok"] for a in acks), [a for a in acks if not a["ok"]]
    assert len({a["id"] for a in acks}) == 2 * COUNT

    conv = await server.repository.get_live(result["conversation"])
    assert conv is not None
    stored = [m for m in await server.services.messages.history_for_visitor(conv) if m["from"] == "visitor"]
    expected = [f"online{i}" for i in range(COUNT)] + [f"offline{i}" for i in range(COUNT)]
    assert sorted(m["client_id"] for m in stored) == sorted(expected)  # each exactly once
    assert {m["client_id"]: m["text"] for m in stored} == {c: c.replace("line", "line ", 1) for c in expected}
    # Within each burst, the order sent is the order stored.
    order = [m["client_id"] for m in stored]
    assert [c for c in order if c.startswith("online")] == expected[:COUNT]
    assert [c for c in order if c.startswith("offline")] == expected[COUNT:]
