"""Every service, built once from the stores, in dependency order.

:func:`build_services` is the services' half of the composition root (app.create_app
builds the stores and the transport around it; tests/services builds it on the memory
store with a recording ``Events``). Dependencies go through constructors; the order of
the lines below is the dependency order, so a cycle cannot hide.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import i18n
from ..config import Settings
from ..security.crypto import KeyRing
from ..storage.base import Durable, Ephemeral
from .admin import Admin
from .audit import Audit
from .canned import Canned
from .centre_examples import known_municipalities
from .centre_staff import CentreStaff
from .centres import Centres
from .console import Console
from .embedding import Embedding
from .events import Events, Translator
from .feedback import Feedback
from .followup import FollowUps, FollowUpService
from .hours import Hours
from .lifecycle import Lifecycle
from .messages import Messages
from .observer import Observer
from .overflow import Overflow
from .pending_triage import PendingTriage
from .presence import ConsoleSockets, Presence, new_node_id
from .queue import Queue
from .queue_guard import QueueGuard
from .recipients import Notify
from .referrals import Directory, Referrals
from .repository import Repository
from .retention import Retention
from .revocation import Revocation
from .router import Router
from .sessions import AddressBook, VisitorSessions
from .setup import FirstRun
from .staff import StaffService, public_staff
from .starting import Starts
from .stats import Stats
from .supervision import Supervision
from .sweeper import Sweeper
from .waiting import HandlingTimes


@dataclass(frozen=True)
class Services:
    """The services of one server process (held by the aiohttp app and the namespaces)."""

    settings: Settings
    repository: Repository
    notify: Notify
    audit: Audit
    centres: Centres
    centre_staff: CentreStaff
    embedding: Embedding
    hours: Hours
    stats: Stats
    retention: Retention
    staff: StaffService
    first_run: FirstRun
    canned: Canned
    directory: Directory
    addresses: AddressBook
    messages: Messages
    router: Router
    queue: Queue
    overflow: Overflow
    starts: Starts
    queue_guard: QueueGuard
    lifecycle: Lifecycle
    sessions: VisitorSessions
    presence: Presence
    sweeper: Sweeper
    console: Console
    supervision: Supervision
    revocation: Revocation
    referrals: Referrals
    followups: FollowUpService
    followup_codes: FollowUps
    admin: Admin
    pending_triage: PendingTriage
    handling: HandlingTimes
    feedback: Feedback


def build_services(
    settings: Settings,
    *,
    ephemeral: Ephemeral,
    durable: Durable,
    keyring: KeyRing,
    events: Events,
    translate: Translator,
    observer: Observer,
    node_id: str | None = None,
) -> Services:
    """Construct every service once. Nothing is started here (no I/O). ``node_id``
    names this process among those sharing the store (services/presence.py; random
    unless a test gives one)."""
    audit = Audit(durable)
    centres = Centres(durable, audit, i18n.SUPPORTED, known_municipalities())
    hours = Hours(durable)
    stats = Stats(durable, settings.stats_retention_days)
    staff = StaffService(durable, ephemeral, keyring, settings, audit)
    first_run = FirstRun(durable, ephemeral, keyring, staff, settings.setup_token_s)
    canned = Canned(durable, translate)
    directory = Directory(durable, i18n.SUPPORTED)
    addresses = AddressBook()
    followup_codes = FollowUps(durable, keyring)
    repository = Repository(ephemeral, keyring, settings, node_id or new_node_id())
    notify = Notify(events, staff.locale_of)
    messages = Messages(repository, notify, translate, observer)
    router = Router(repository, notify, settings, staff.get)
    handling = HandlingTimes(ephemeral, float(settings.avg_handle_time_s))
    queue = Queue(repository, notify, settings, router, staff.get, hours, handling)
    pending_triage = PendingTriage(ephemeral, repository, notify, stats, audit)
    feedback = Feedback(ephemeral, stats)
    lifecycle = Lifecycle(
        repository, notify, messages, queue, router, stats, audit, observer, settings, pending_triage, feedback
    )
    sessions = VisitorSessions(repository, notify, queue, messages, hours, translate, router)
    presence = Presence(repository, addresses, ConsoleSockets(), settings)
    overflow = Overflow(repository, centres, hours, queue, router, notify, stats, audit)
    starts = Starts(
        repository,
        notify,
        queue,
        hours,
        observer,
        lambda c: centres.check_centre(c, open_for_visitors=True),
        stats,
        overflow.do_offer,
    )
    supervision = Supervision(
        repository, notify, messages, lifecycle, queue, staff.get, staff.accounts, audit, router, settings
    )
    revocation = Revocation(staff, repository, notify, translate, queue, router, lifecycle, supervision)
    return Services(
        settings=settings,
        repository=repository,
        notify=notify,
        audit=audit,
        centres=centres,
        centre_staff=CentreStaff(staff, centres, revocation),
        embedding=Embedding(centres, settings.allowed_origins),
        hours=hours,
        stats=stats,
        retention=Retention(durable, settings.audit_retention_days, settings.stats_retention_days),
        staff=staff,
        first_run=first_run,
        canned=canned,
        directory=directory,
        addresses=addresses,
        messages=messages,
        router=router,
        queue=queue,
        overflow=overflow,
        starts=starts,
        queue_guard=QueueGuard(repository, notify, lifecycle, starts, staff.accounts, audit, settings),
        lifecycle=lifecycle,
        sessions=sessions,
        presence=presence,
        sweeper=Sweeper(repository, lifecycle, sessions, router, presence, settings, queue, feedback),
        console=Console(repository, queue, router, messages, audit, public_staff, canned),
        supervision=supervision,
        revocation=revocation,
        referrals=Referrals(directory, repository, messages, translate, audit),
        followups=FollowUpService(followup_codes, repository, notify, messages, audit),
        followup_codes=followup_codes,
        admin=Admin(staff, revocation, hours, canned, audit, durable),
        pending_triage=pending_triage,
        handling=handling,
        feedback=feedback,
    )
