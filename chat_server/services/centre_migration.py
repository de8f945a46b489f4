"""An installation from before centres becomes the centre ``default`` (issue 19).

The storage backends move statistics and audit entries themselves when they open
(layout 2, storage/base.py). What is left is data the services own, moved here through
the store's interface, every step safe to repeat (two processes starting at once, or a
process stopped half-way, end the same):

* the centre record ``default`` is created when missing (every installation has it: a
  conversation whose widget names no centre belongs to it);
* every staff account without ``centres`` gets ``{"default": <its role>}``; its admins
  become national admins, because in a single-centre installation they administered
  the whole installation, and that right must not be lost;
* the documents ``doc/hours`` and ``doc/canned`` move to ``centre:default``;
* the referral directory is split: national receivers stay in the shared document
  ``doc/referrals``, the others move to the ``default`` centre's own directory.

Nothing is deleted before its copy is written.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from ..storage.base import Conflict, Durable
from .centre_domain import DEFAULT_CENTRE, DEFAULT_NAMES, Centre, centre_namespace

log = logging.getLogger(__name__)

MOVED_DOCS = ("hours", "canned")
REFERRALS = "referrals"


@dataclass(frozen=True)
class MigrationReport:
    """What one run changed: accounts given a centre, documents moved, whether the
    ``default`` centre was created."""

    created_default: bool
    accounts: int
    documents: tuple[str, ...]


async def do_migrate_to_centres(durable: Durable) -> MigrationReport:
    """Bring the services' data to centres (see the module). Idempotent; raises
    StoreUnavailable when the store does not answer."""
    created = False
    if await durable.get_centre(DEFAULT_CENTRE) is None:
        centre = Centre(DEFAULT_CENTRE, DEFAULT_NAMES, created_at=int(time.time() * 1000))
        try:
            await durable.create_centre(centre.to_record())
            created = True
        except Conflict:
            pass  # another process made it meanwhile
    accounts = 0
    for record in await durable.list_staff():
        if isinstance(record.get("centres"), dict) and record["centres"]:
            continue
        role = record.get("role", "operator")
        await durable.update_staff(record["id"], {"centres": {DEFAULT_CENTRE: role}, "national_admin": role == "admin"})
        accounts += 1
    moved = [name for name in MOVED_DOCS if await _move_doc(durable, name)]
    if await _split_referrals(durable):
        moved.append(REFERRALS)
    if created or accounts or moved:
        log.info(
            "migrated to centres: default centre %s, %d accounts, documents moved: %s",
            "created" if created else "present",
            accounts,
            ", ".join(moved) or "none",
        )
    return MigrationReport(created, accounts, tuple(moved))


async def _move_doc(durable: Durable, name: str) -> bool:
    old = await durable.get_kv("doc", name)
    if old is None:
        return False
    ns = centre_namespace(DEFAULT_CENTRE)
    if await durable.get_kv(ns, name) is None:
        await durable.put_kv(ns, name, old)
    await durable.delete_kv("doc", name)
    return True


def _is_national(receiver: Any) -> bool:
    return isinstance(receiver, dict) and (receiver.get("area") or {}).get("kind") == "national"


async def _split_referrals(durable: Durable) -> bool:
    doc = await durable.get_kv("doc", REFERRALS)
    if doc is None or doc.get("national_only"):
        return False
    receivers: list[Any] = list(doc.get("receivers") or [])
    local = [r for r in receivers if not _is_national(r)]
    ns = centre_namespace(DEFAULT_CENTRE)
    existing = await durable.get_kv(ns, REFERRALS)
    if existing is None:
        await durable.put_kv(ns, REFERRALS, {"receivers": local})
    else:  # a run stopped after the copy: keep both, the copy wins for an id in both
        ids = {r.get("id") for r in existing.get("receivers") or []}
        merged = list(existing.get("receivers") or []) + [r for r in local if r.get("id") not in ids]
        await durable.put_kv(ns, REFERRALS, {"receivers": merged})
    await durable.put_kv(
        "doc", REFERRALS, {"receivers": [r for r in receivers if _is_national(r)], "national_only": True}
    )
    return True
