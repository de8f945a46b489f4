"""Aggregate hooks for metrics, so services stay free of any metrics library.

The composition root passes a :class:`Observer` to the services that report; the
transport's metrics module subclasses it (transport/metrics_http.py). Each call is
synchronous and cheap, and carries no content and nothing that identifies a
conversation.
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
