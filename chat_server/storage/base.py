"""The two storage interfaces every backend implements.

*Ephemeral* holds everything about live conversations: sessions, conversations,
encrypted messages, the queue, operator presence. Every key has a TTL, and nothing in it
is meant to survive the conversation. Backends: memory (embedded) and Redis (run
without persistence).

*Durable* holds what must survive a restart and never identifies a visitor: the
resource centres of the installation, staff accounts (with their centres) and their
sessions, the audit log of staff actions, aggregate statistics per centre and
configuration documents (opening hours, canned responses, referral directory; a
centre's under the namespace ``centre:<id>``, services/centre_domain.py).
Backends: SQLite (embedded) and Redis (with persistence). Each migrates a store written
by an earlier release when it opens (the layout: :data:`SCHEMA_VERSION`).

One contract test suite (tests/contract/) runs against every backend.
"""

from __future__ import annotations

from typing import Any, Protocol

JSON = dict[str, Any]

#: The centre that statistics and audit entries of a store from before centres belong
#: to (services/centre_domain.py).
DEFAULT_CENTRE = "default"
#: The durable layout: 1 (one centre, the first releases), 2 (centres: a centre table,
#: statistics keyed by centre, audit entries tagged with centres).
SCHEMA_VERSION = 2


class StoreUnavailable(RuntimeError):
    """A store did not answer (connection refused, timeout)."""


class Conflict(RuntimeError):
    """A uniqueness rule was broken (e.g. a username already taken)."""


class Ephemeral(Protocol):
    """Short-lived JSON records, message logs, ordered indexes and counters, all with TTLs."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...

    async def put(self, kind: str, key: str, data: JSON, ttl: int) -> None:
        """Create or replace a record that expires after ``ttl`` seconds."""

    async def add(self, kind: str, key: str, data: JSON, ttl: int) -> bool:
        """Create a record only if none exists; True if this call created it."""

    async def get(self, kind: str, key: str) -> JSON | None: ...

    async def get_many(self, items: list[tuple[str, str]]) -> list[JSON | None]:
        """Several records (``(kind, key)`` pairs) in one request, in the order asked."""

    async def update(
        self,
        kind: str,
        key: str,
        changes: JSON,
        *,
        expect: JSON | None = None,
        ttl: int | None = None,
    ) -> JSON | None:
        """Atomically merge ``changes`` into a record.

        When ``expect`` is given, apply only if every field in it currently has that
        value (compare-and-set). Returns the new record, or None if the record is missing
        or the expectation failed. ``ttl`` (if given) restarts the expiry.
        """

    async def delete(self, kind: str, key: str) -> bool: ...

    async def append_message(self, conversation_id: str, dedupe_key: str, record: JSON, ttl: int) -> tuple[JSON, bool]:
        """Append ``record`` to a conversation's log unless ``dedupe_key`` was seen.

        Assigns ``seq`` (1, 2, …). Returns (stored record, created). A duplicate
        returns the first record and False.
        """

    async def messages(self, conversation_id: str) -> list[JSON]:
        """All records of a conversation's log, in order."""

    async def delete_messages(self, conversation_id: str) -> None: ...

    async def index_add(self, name: str, member: str, score: float, ttl: int) -> None:
        """Add or re-score ``member`` in the ordered index ``name``."""

    async def index_remove(self, name: str, member: str) -> bool: ...

    async def index_members(self, name: str) -> list[tuple[str, float]]:
        """Members ordered by score (ascending), then member."""

    async def incr(self, key: str, ttl: int, amount: int = 1) -> int:
        """Increment a counter that expires ``ttl`` seconds after it was created."""

    async def keys_for_inspection(self) -> list[str]:
        """Every key currently held (tests and the privacy audit use this)."""


class Durable(Protocol):
    """Staff accounts, audit log, statistics and small documents."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...

    # Centres ------------------------------------------------------------------------
    async def create_centre(self, record: JSON) -> JSON:
        """Insert a centre record (``{"id": slug, …}``, services/centre_domain.Centre);
        Conflict when the id is taken."""

    async def get_centre(self, centre_id: str) -> JSON | None: ...

    async def list_centres(self) -> list[JSON]:
        """Every centre record, ordered by id."""

    async def update_centre(self, centre_id: str, changes: JSON) -> JSON | None:
        """Atomically merge ``changes`` (never ``id``) into a centre record; returns the
        new record, or None when there is no such centre."""

    # Staff accounts -----------------------------------------------------------------
    async def create_staff(self, record: JSON) -> JSON:
        """Insert a staff record (``id`` and ``username`` unique, else Conflict)."""

    async def get_staff(self, staff_id: str) -> JSON | None: ...

    async def get_staff_by_username(self, username: str) -> JSON | None: ...

    async def list_staff(self) -> list[JSON]: ...

    async def update_staff(self, staff_id: str, changes: JSON, *, expect: JSON | None = None) -> JSON | None:
        """Merge ``changes`` into an account, atomically. With ``expect``, only if
        every field in it has that value now (compare-and-set). Returns the new record,
        or None when the account is missing or the expectation failed. Raises
        :class:`Conflict` when a changed username is taken."""

    async def count_staff(self, role: str | None = None) -> int: ...

    # Audit log ------------------------------------------------------------------------
    async def add_audit(self, entry: JSON) -> None:
        """``entry``: ts (ms), actor (staff id or None), action, target, details (no
        content) and ``centres``: the ids of the centres the action concerns ([] or
        absent for an installation-wide one, e.g. creating a centre)."""

    async def list_audit(self, limit: int = 100, before_ts: int | None = None, centre: str | None = None) -> list[JSON]:
        """Newest first, at most ``limit``, ``ts`` < ``before_ts`` if given; with
        ``centre``, only entries whose ``centres`` include it (entries from before
        centres belong to :data:`DEFAULT_CENTRE`)."""

    async def prune_audit(self, before_ts: int) -> int:
        """Delete audit entries with ``ts`` < ``before_ts`` (ms); returns how many."""

    # Aggregate statistics -------------------------------------------------------------
    async def add_stats(self, day: str, counters: dict[str, int], centre: str = DEFAULT_CENTRE) -> None:
        """Add ``counters`` (``"dimension:value" -> n``) to the totals of ``day`` (ISO
        date) of ``centre``."""

    async def get_stats(
        self, first_day: str, last_day: str, centre: str | None = DEFAULT_CENTRE
    ) -> list[tuple[str, str, int]]:
        """(day, "dimension:value", count) for days in [first_day, last_day], ordered by
        day then key: of ``centre``, or with ``centre=None`` summed over every centre
        (the national view; suppression is applied after summing, services/stats.py)."""

    async def prune_stats(self, before_day: str) -> int:
        """Delete the counters of days before ``before_day`` (ISO date) of every
        centre; returns how many distinct days had counters."""

    # Small documents and expiring values --------------------------------------------
    async def put_kv(self, namespace: str, key: str, value: JSON, expires_at: float | None = None) -> None: ...

    async def add_kv(self, namespace: str, key: str, value: JSON, expires_at: float | None = None) -> bool:
        """Create a value only if none exists (an expired one counts as none); True if
        this call created it. Two callers at once: exactly one gets True."""

    async def get_kv(self, namespace: str, key: str) -> JSON | None: ...

    async def replace_kv(self, namespace: str, key: str, expected: JSON | None, value: JSON) -> bool:
        """Write a document (no expiry) only if it is still ``expected`` (None: there
        is none): compare-and-set, so two editors saving at once cannot drop each
        other's change unseen. True if this call wrote it."""

    async def delete_kv(self, namespace: str, key: str) -> bool: ...

    async def list_kv(self, namespace: str) -> list[tuple[str, JSON]]: ...

    async def take_kv(self, namespace: str, key: str) -> JSON | None:
        """Get and delete atomically (single-use tokens)."""
