"""Staff roles and the sets of roles each permission needs, defined once.

* ``operator``: counsellors; take chats, write, transfer, invite, refer.
* ``supervisor``: also observe chats silently, see the overview of every chat, get
  alerts for urgent chats that wait, edit the referral directory, read statistics.
* ``admin``: all of that, and manage accounts, opening hours and canned responses.
"""

from __future__ import annotations

from typing import get_args

from .domain import Role

ROLES: tuple[Role, ...] = get_args(Role)
EVERYONE: frozenset[Role] = frozenset(ROLES)
#: Observe, overview, urgent alerts, the queue without being on duty, the referral
#: directory and statistics (coordinators).
SUPERVISORS: frozenset[Role] = frozenset({"supervisor", "admin"})
#: Accounts, opening hours, canned responses, the audit log.
ADMINS: frozenset[Role] = frozenset({"admin"})


def is_role(value: object) -> bool:
    """True for one of :data:`ROLES`."""
    return value in EVERYONE
