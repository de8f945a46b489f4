"""Hostile text is data, never markup or control.

Server policy (docs/threat-model.md, "Text"): message text is stored (encrypted) and
relayed verbatim (only leading and trailing whitespace is trimmed), never interpreted,
never stripped of characters. Stripping zero-width or bidi characters would damage
Persian, Kurdish and Arabic (ZWNJ U+200C is part of Persian spelling; RLM/ALM mark
direction). The front ends render every message with ``textContent`` in its own
element with ``dir="auto"`` (which isolates it), so an override such as U+202E cannot
leak past the message bubble. Lone surrogates are refused (``invalid``).
"""

from __future__ import annotations

import pytest

from ..helpers import new_client_id
from .conftest import Reference

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(document.cookie)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "{{constructor.constructor('alert(1)')()}}",
    "${alert(1)}",
    "&lt;b&gt;not bold&lt;/b&gt; &amp;",
    "\u202eexe.txt",  # RIGHT-TO-LEFT OVERRIDE, unbalanced
    "abc\u2066def",  # LEFT-TO-RIGHT ISOLATE, never closed
    "\u202a\u202b\u202c\u202d\u2067\u2068\u2069",
    "zero\u200bwidth\u200djoiner\ufeff",
    "می\u200cخواهم با کسی صحبت کنم",  # Persian with ZWNJ
    "مرحبا \u200fHello\u200e عالم",  # Arabic with RLM/LRM
    "سڵاو، دەمەوێت قسە بکەم",  # Sorani
    "\u0000nul and \u0007bell",
    "👩🏽‍⚕️ emoji ZWJ sequence",
    "line one\nline two\r\nline three",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_text_is_relayed_verbatim_both_ways(server, healthy: Reference, text):
    ack = await healthy.visitor.call("message", {"client_id": new_client_id(), "text": text})
    assert ack["ok"], ack
    got = await healthy.operator.wait_for("message", lambda m: m.get("client_id") and m.get("text") == text.strip())
    assert got["text"] == text.strip()
    ack = await healthy.operator.call(
        "message",
        {"conversation_id": healthy.conversation_id, "client_id": new_client_id(), "text": text},
    )
    assert ack["ok"], ack
    await healthy.visitor.wait_for("message", lambda m: m.get("from") == "operator" and m.get("text") == text.strip())
    healthy.sent_by_visitor.append(text.strip())
    healthy.sent_by_operator.append(text.strip())


async def test_history_on_resume_returns_the_same_text(server, visitor, healthy: Reference):
    text = HOSTILE[0] + " " + HOSTILE[7] + " " + HOSTILE[11]
    assert (await healthy.visitor.call("message", {"client_id": new_client_id(), "text": text}))["ok"]
    healthy.sent_by_visitor.append(text)
    await healthy.operator.wait_for("message", lambda m: m.get("text") == text)
    token = healthy.visitor.received("session")[0]["token"]
    second = await visitor(auth={"resume": token})
    history = await second.wait_for("history")
    assert text in [m["text"] for m in history["messages"]]


async def test_nothing_of_the_text_is_held_in_plaintext(server, healthy: Reference):
    marker = "<script>hemlig-markör-9431</script>"
    assert (await healthy.visitor.call("message", {"client_id": new_client_id(), "text": marker}))["ok"]
    healthy.sent_by_visitor.append(marker)
    await healthy.operator.wait_for("message", lambda m: m.get("text") == marker)
    dump = getattr(server.ephemeral, "raw_dump", None)
    if dump is not None:
        assert "hemlig-markör-9431" not in repr(dump())
