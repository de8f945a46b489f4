"""Console events beyond the core contract: transfer, invite, observe, notes, block,
canned responses. Mixed into ``OperatorNamespace`` (see operator.py)."""

from __future__ import annotations


class ConsoleEventsMixin:
    """Handlers ``on_<event>(self, sid, data)`` for the operator console's own events."""
