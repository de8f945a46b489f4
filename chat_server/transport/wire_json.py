"""The JSON module Engine.IO and Socket.IO decode client packets with (and read_json).

python-engineio and python-socketio take an alternative JSON module through their
documented ``json`` option (process-wide). This one is python-engineio's own (which
refuses integers over 100 digits) with one change: a document nested deeper than the
interpreter's recursion limit (``[`` × 20,000) raises ``ValueError`` like any other
undecodable input, instead of ``RecursionError``, which the libraries do not expect:
it escaped as a traceback per packet and the sender's connection stayed open.
"""

from __future__ import annotations

from typing import Any

from engineio import json as _engineio_json

dumps = _engineio_json.dumps


def loads(*args: Any, **kwargs: Any) -> Any:
    """``json.loads`` that raises ``ValueError`` for every undecodable document."""
    try:
        return _engineio_json.loads(*args, **kwargs)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
