"""The deployment secret (``CHAT_SECRET_KEY``): where it comes from, and the check that
it is the key the durable store was created with.

Staff TOTP secrets are sealed under a key derived from this secret, and lookups of
bearer secrets (resume tokens, follow-up codes) are keyed hashes under it. A process
started with another key would not fail at once: it would answer every login with an
error. So the durable store keeps a *key-check value* (an HMAC under a key derived from
the secret, which reveals nothing about it), and the server and every command refuse to
start against a store created under another key, with one sentence that says what to do.

Embedded mode (SQLite, conversations in memory) may run without a configured key: the
first start generates one into the data folder, readable only by this user. A key is
generated only for a store that does not exist yet; the command line never makes one
for an existing store (it would seal new accounts under a key the server does not have).
"""

from __future__ import annotations

import hmac
import logging
import os
from pathlib import Path

from .config import Settings
from .private_files import private_dir
from .security.crypto import KeyRing, generate_secret
from .storage.base import Durable

log = logging.getLogger(__name__)

META_NAMESPACE = "meta"
KEY_CHECK = "key_check"


class StartupError(RuntimeError):
    """The server or a command refuses to start; the message says why and what to do."""


def _sqlite_path(settings: Settings) -> Path | None:
    url = settings.effective_durable_url
    return Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None


def _key_file(settings: Settings) -> Path:
    return Path(settings.data_dir) / "secret_key"


def resolve_secret(settings: Settings) -> str:
    """The deployment secret: from settings (``CHAT_SECRET_KEY`` or its ``_FILE``), else
    in embedded mode the one kept in ``<data dir>/secret_key``, generated there (mode
    0600) when neither it nor the SQLite store exists yet.

    Raises StartupError when no key is configured and one may not be generated: in
    Redis mode (every process must share one key), or when a durable store already
    exists without a key file beside it.
    """
    if settings.secret_key:
        return settings.secret_key.reveal()
    if not settings.ephemeral_url.startswith("memory://") or _sqlite_path(settings) is None:
        raise StartupError("CHAT_SECRET_KEY (or CHAT_SECRET_KEY_FILE) is required with a Redis store.")
    path = _key_file(settings)
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    database = _sqlite_path(settings)
    if database is not None and database.exists():
        raise StartupError(
            f"No secret key is set, and the database {database} already exists: set CHAT_SECRET_KEY "
            f"(or CHAT_SECRET_KEY_FILE) to the key the server runs with; a new key would not open it."
        )
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(generate_secret())
    log.warning(
        "no CHAT_SECRET_KEY set: generated one in %s (embedded mode). Conversations live in "
        "memory only and do not survive a restart. Set CHAT_SECRET_KEY_FILE in production.",
        path,
    )
    return path.read_text(encoding="utf-8").strip()


MISMATCH = (
    "The secret key does not match the durable store: it was created with another "
    "CHAT_SECRET_KEY. Start with the key the store was created with (the server's "
    "CHAT_SECRET_KEY or CHAT_SECRET_KEY_FILE, or {key_file} in embedded mode); to change "
    "the key, use `rc-chat secret rotate`."
)


async def check_secret(durable: Durable, keyring: KeyRing, settings: Settings) -> None:
    """Refuse a secret the durable store was not created with (StartupError).

    A store without a key-check value (new, or created by a release before this check)
    gets one, after the key has been shown to open the stored staff secrets; a store
    whose sealed secrets the key cannot open is refused the same way.
    """
    expected = keyring.key_check
    stored = await durable.get_kv(META_NAMESPACE, KEY_CHECK)
    message = MISMATCH.format(key_file=_key_file(settings))
    if stored is not None:
        if not hmac.compare_digest(str(stored.get("value", "")), expected):
            raise StartupError(message)
        return
    for record in await durable.list_staff():
        if record.get("totp"):
            try:
                keyring.open(record["totp"], "totp:" + record["id"])
            except Exception as exc:  # noqa: BLE001 - any failure: not this store's key
                raise StartupError(message) from exc
            break
    await durable.put_kv(META_NAMESPACE, KEY_CHECK, {"value": expected})


async def set_key_check(durable: Durable, keyring: KeyRing) -> None:
    """Record ``keyring``'s secret as the store's key (after ``rc-chat secret rotate``)."""
    await durable.put_kv(META_NAMESPACE, KEY_CHECK, {"value": keyring.key_check})
