"""Small documents in the durable store (the referral directory, canned responses)
changed by compare-and-set: each edit is applied to the document as it is when it is
written, so two editors saving at once, on any process, both keep their change."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ..storage.base import Durable
from .errors import MSG_CHANGED_MEANWHILE, ServiceError

#: Tries before ``conflict`` when other writers keep winning the race.
ATTEMPTS = 8

Document = dict[str, Any]


async def edit_document(
    durable: Durable, namespace: str, key: str, change: Callable[[Document | None], Document]
) -> Document:
    """Write ``change(the document now)`` (None when there is none yet; ``change`` gets
    a copy and may raise to refuse) unless the document changed since it was read, then
    read and apply again. Returns what was written (or the document, when ``change``
    left it as it was). ``conflict`` after :data:`ATTEMPTS` lost races."""
    for _ in range(ATTEMPTS):
        current = await durable.get_kv(namespace, key)
        updated = change(copy.deepcopy(current))
        if updated == current or await durable.replace_kv(namespace, key, current, updated):
            return updated
    raise ServiceError("conflict", MSG_CHANGED_MEANWHILE)
