"""Sealed pub/sub messages: what crosses Redis between processes is encrypted and
authenticated, so the Redis (a replica, a dump, a subscriber with a stolen password)
learns nothing of a visitor and cannot make a process deliver anything.

Every message a process publishes (room-channel packets and python-socketio's own
messages alike: emits, room changes, disconnects, callbacks) is sealed with AES-256-GCM
under a key of that process's own, derived from ``CHAT_SECRET_KEY``:

    master    = HKDF(secret, "pubsub-fanout")       (KeyRing.fanout_master)
    host key  = HKDF(master, "pubsub-fanout:" + host_id)
    wire      = host_id "." seq "." ts_ms "." base64(ciphertext and tag)
    nonce     = 4 zero bytes + seq (8 bytes, big-endian)
    AAD       = channel "\\n" host_id "." seq "." ts_ms

* ``host_id`` (python-socketio's random id of the process) stays in clear as the
  prefix, so a process still drops its own messages without decrypting them. It is
  authenticated: a changed prefix selects another key and the tag fails.
* The nonce is fresh by construction: a per-process key (host ids are random per
  start) and a counter that never repeats in that process, instead of random nonces
  whose safety fades after 2**32 messages under one key.
* The channel is associated data: a message replayed on another conversation's channel
  fails. ``seq`` must grow per sender: a message replayed on its own channel is dropped
  (a process hears each peer in publish order: one pipeline in flight at a time on the
  sending side, one subscription connection on the receiving side). ``ts_ms`` bounds
  replays to a process that never heard the sender before (restarted): older than
  ``MAX_AGE_S`` is dropped.

A message that fails any check is dropped and counted; nothing of it is logged.
"""

from __future__ import annotations

import binascii
import itertools
import time
from collections import OrderedDict
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .crypto import derive_key

PURPOSE = "pubsub-fanout"
#: Senders remembered (key and last sequence number); far more than processes.
MAX_PEERS = 1024
#: A message older than this (by its sender's clock) is dropped.
MAX_AGE_S = 600.0
#: How far a sender's clock may run ahead.
MAX_AHEAD_S = 60.0


class FanoutSeal:
    """Seals this process's messages and opens its peers'."""

    def __init__(self, master: bytes, host_id: str, clock: Callable[[], float] = time.time) -> None:
        """``master``: ``KeyRing.fanout_master`` (the same in every process of a
        deployment); ``host_id``: this process's id, non-empty, without dots."""
        if not host_id or "." in host_id:
            raise ValueError("host_id must be non-empty and without dots")
        self.host_id = host_id
        self._master = master
        self._clock = clock
        self._own = AESGCM(self._host_key(host_id))
        self._seq = itertools.count(1)
        # host id -> (cipher, highest sequence number accepted), least recent first.
        self._peers: OrderedDict[str, tuple[AESGCM, int]] = OrderedDict()
        self.dropped = 0

    def _host_key(self, host_id: str) -> bytes:
        return derive_key(self._master, f"{PURPOSE}:{host_id}")

    @property
    def own_prefix(self) -> str:
        """Every message this process sealed starts with this."""
        return self.host_id + "."

    def seal(self, channel: str, plaintext: str) -> str:
        """The wire form of ``plaintext`` for ``channel``."""
        seq = next(self._seq)
        header = f"{self.host_id}.{seq}.{int(self._clock() * 1000)}"
        nonce = b"\0\0\0\0" + seq.to_bytes(8, "big")
        sealed = self._own.encrypt(nonce, plaintext.encode(), f"{channel}\n{header}".encode())
        return f"{header}.{binascii.b2a_base64(sealed, newline=False).decode()}"

    def open(self, channel: str, wire: str | bytes) -> str | None:
        """The plaintext of a peer's message heard on ``channel``, or None when it is
        not one: malformed, wrong key, tampered, from another channel, replayed or too
        old. Never raises."""
        try:
            text = wire.decode() if isinstance(wire, bytes) else wire
            host_id, seq_text, ts_text, body = text.split(".", 3)
            seq, ts_ms = int(seq_text), int(ts_text)
            if not host_id or seq < 1 or seq >= 1 << 64:
                raise ValueError("bad header")
            age_s = self._clock() - ts_ms / 1000
            if age_s > MAX_AGE_S or age_s < -MAX_AHEAD_S:
                raise ValueError("stale")
            known = self._peers.get(host_id)
            if known is not None and seq <= known[1]:
                raise ValueError("replayed")
            cipher = known[0] if known is not None else AESGCM(self._host_key(host_id))
            header = f"{host_id}.{seq_text}.{ts_text}"
            if header != f"{host_id}.{seq}.{ts_ms}":  # one canonical spelling per number
                raise ValueError("bad header")
            nonce = b"\0\0\0\0" + seq.to_bytes(8, "big")
            # Not strict_mode (8 µs a call here): the tag authenticates the bytes anyway.
            sealed = binascii.a2b_base64(body)
            plain = cipher.decrypt(nonce, sealed, f"{channel}\n{header}".encode())
        except (ValueError, InvalidTag, binascii.Error, UnicodeDecodeError, OverflowError):
            self.dropped += 1
            return None
        # Only an authentic message moves a peer's counter (and enters the cache).
        self._peers[host_id] = (cipher, seq)
        self._peers.move_to_end(host_id)
        if len(self._peers) > MAX_PEERS:
            self._peers.popitem(last=False)
        try:
            return plain.decode()
        except UnicodeDecodeError:
            self.dropped += 1
            return None

    def is_own(self, wire: str) -> bool:
        """Whether a message heard back is this process's own (no decryption)."""
        return wire.startswith(self.own_prefix)
