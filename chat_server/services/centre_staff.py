"""Who works in which centre: national admins assign staff to centres (issue 19).

A membership is ``{centre_id: role}`` in the staff account (services/centre_domain.py).
Changing one ends the person's sessions and closes their consoles at once, as a role
change does (services/revocation.py): their rights are read again at the next login.
"""

from __future__ import annotations

from typing import Any

from .centre_domain import memberships
from .centres import Centres, check_national_admin
from .domain import Role, Staff
from .errors import MSG_FORBIDDEN, MSG_INVALID, ServiceError
from .revocation import Revocation, announce_end
from .roles import ROLES
from .staff import PublicStaff, StaffService, public_staff


class CentreStaff:
    """Assigning staff to centres (national admins)."""

    def __init__(self, staff: StaffService, centres: Centres, revocation: Revocation) -> None:
        self._staff = staff
        self._centres = centres
        self._revocation = revocation

    async def _account(self, staff_id: str) -> dict[str, Any]:
        record = await self._staff.get(staff_id)
        if record is None:
            raise ServiceError("not_found", MSG_INVALID)
        return record

    async def do_set_membership(self, actor: Staff, centre_id: str, staff_id: str, role: Role | None) -> PublicStaff:
        """Give ``staff_id`` the ``role`` in ``centre_id``, or with None take them out
        of it. ``forbidden`` unless a national admin; ``not_found`` for an unknown
        centre or account; ``invalid`` for an unknown role; ``conflict`` when it would
        leave the account in no centre, or a national admin would take away their own
        admin role in their last centre."""
        check_national_admin(actor)
        await self._centres.check_centre(centre_id)
        if role is not None and role not in ROLES:
            raise ServiceError("invalid", MSG_INVALID, field="role")
        account = await self._account(staff_id)
        if memberships(account).get(centre_id) == role:
            return public_staff(account)

        def changed(centres: dict[str, Role]) -> dict[str, Role]:
            # Applied to the memberships as they are when written (compare-and-set).
            if role is None:
                centres.pop(centre_id, None)
            else:
                centres[centre_id] = role
            if not centres:
                raise ServiceError("conflict", MSG_FORBIDDEN)
            return centres

        record = await self._staff.change_memberships(staff_id, changed, actor.id)
        await announce_end(self._revocation.do_signed_out(staff_id, "role_changed"), "role_changed")
        return public_staff(record or account)

    async def do_set_national_admin(self, actor: Staff, staff_id: str, national_admin: bool) -> PublicStaff:
        """Make someone a national admin or not (national admins; not oneself:
        ``conflict``, so the installation keeps one)."""
        check_national_admin(actor)
        if staff_id == actor.id:
            raise ServiceError("conflict", MSG_FORBIDDEN)
        account = await self._account(staff_id)
        record = await self._staff.set_national_admin(staff_id, national_admin, actor.id)
        await announce_end(self._revocation.do_signed_out(staff_id, "role_changed"), "role_changed")
        return public_staff(record or account)
