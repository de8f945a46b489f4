"""Background loops that stop cleanly.

Stopping by cancellation alone is fragile: a library that swallows CancelledError
somewhere inside a step (a store client retrying, say) leaves the loop running and the
shutdown waiting forever. These loops are told to stop with an event, finish the step
they are in, and are only cancelled if that takes too long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from .storage.base import StoreUnavailable

log = logging.getLogger(__name__)


def guarded(what: str, step: Callable[[], Awaitable[object]], store: str = "a store") -> Callable[[], Awaitable[None]]:
    """``step`` for a loop that must go on whatever happens: a store that does not
    answer (Redis restarting or failing over) is one warning line, "``what`` skipped:
    ``store`` is unavailable", as the next round catches up; any other fault is logged
    with its traceback as "``what`` failed"."""

    async def run() -> None:
        try:
            await step()
        except StoreUnavailable:
            log.warning("%s skipped: %s is unavailable", what, store)
        except Exception:  # noqa: BLE001 - keep the loop going whatever happens
            log.exception("%s failed", what)

    return run


@contextlib.asynccontextmanager
async def periodic(name: str, interval: float, step: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
    """Run ``step`` every ``interval`` seconds while the context is open."""
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            if stop.is_set():
                return
            await step()

    task = asyncio.create_task(loop(), name=name)
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), 10)
        except TimeoutError:
            log.warning("%s did not stop within 10 s; cancelling it", name)
            task.cancel()
        except asyncio.CancelledError:
            task.cancel()
            raise
