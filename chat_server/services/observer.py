"""Hooks the conversation services call at the moments that count (started, accepted,
ended once by whoever's compare-and-set won, message relayed).

Each call is synchronous and cheap, and carries no content and nothing that identifies
a conversation. The server passes the no-op :class:`Observer`: /metrics deliberately
exports no count of what visitors do (transport/metrics_http.py says why; those numbers
live in the suppressed statistics). tests/services counts the calls to prove, e.g., that
a conversation ended on two processes at once is counted once.
"""

from __future__ import annotations


class Observer:
    """No-op by default."""

    def conversation_started(self) -> None:
        return None

    def conversation_accepted(self, waited_s: float) -> None:
        return None

    def conversation_ended(self, reason: str) -> None:
        return None

    def message_relayed(self, sender: str) -> None:
        return None
