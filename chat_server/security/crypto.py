"""Conversation encryption and crypto-shredding.

Each conversation has its own random AES-256-GCM key. That key is stored only wrapped
(AES-GCM) under a master key derived with HKDF from ``CHAT_SECRET_KEY``. Ending a
conversation deletes the wrapped key first, so any ciphertext that survives a crash,
a Redis replica or a swap file is unreadable from that moment (crypto-shredding).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from collections import OrderedDict

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12


def derive_key(secret: bytes, purpose: str, length: int = 32) -> bytes:
    """Derive an independent sub-key for ``purpose`` from the deployment secret."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"rc-chat/v1", info=purpose.encode()).derive(secret)


def generate_secret() -> str:
    """A fresh deployment secret (for embedded mode or `secret generate`)."""
    return secrets.token_urlsafe(48)


class KeyRing:
    """Master keys derived from the deployment secret, one per purpose."""

    def __init__(self, secret: str) -> None:
        raw = secret.encode()
        self._wrap = AESGCM(derive_key(raw, "conversation-key-wrap"))
        self.hmac_key = derive_key(raw, "lookup-hmac")
        self._fields = AESGCM(derive_key(raw, "durable-field"))
        #: Seals what crosses Redis pub/sub between processes (security/fanout_seal.py).
        self.fanout_master = derive_key(raw, "pubsub-fanout")
        #: Kept in the durable store to recognise the key it was created with
        #: (chat_server/secret_key.py): an HMAC under a key derived for this purpose
        #: only, which tells nothing about the secret or any other derived key.
        self.key_check = hmac.new(derive_key(raw, "key-check"), b"rc-chat key check", hashlib.sha256).hexdigest()

    def new_conversation_key(self) -> bytes:
        return AESGCM.generate_key(bit_length=256)

    def wrap(self, key: bytes, conversation_id: str) -> str:
        nonce = os.urandom(_NONCE)
        ct = self._wrap.encrypt(nonce, key, b"ckey:" + conversation_id.encode())
        return base64.b64encode(nonce + ct).decode()

    def unwrap(self, wrapped: str, conversation_id: str) -> bytes:
        blob = base64.b64decode(wrapped)
        return self._wrap.decrypt(blob[:_NONCE], blob[_NONCE:], b"ckey:" + conversation_id.encode())

    def seal(self, text: str, context: str) -> str:
        """Encrypt a durable secret field (e.g. a staff TOTP secret) at rest."""
        nonce = os.urandom(_NONCE)
        ct = self._fields.encrypt(nonce, text.encode(), context.encode())
        return base64.b64encode(nonce + ct).decode()

    def open(self, blob: str, context: str) -> str:
        raw = base64.b64decode(blob)
        return self._fields.decrypt(raw[:_NONCE], raw[_NONCE:], context.encode()).decode()

    def lookup_hash(self, value: str) -> str:
        """A keyed hash used as a storage key for a bearer secret (resume token…).

        Storing the hash, not the token, means a dump of the ephemeral store does not
        let anyone take over a visitor's conversation.
        """
        return hmac.new(self.hmac_key, value.encode(), hashlib.sha256).hexdigest()


class ConversationCipher:
    """Encrypts the text of one conversation under its own key."""

    def __init__(self, key: bytes, conversation_id: str) -> None:
        self._aead = AESGCM(key)
        self._aad = b"msg:" + conversation_id.encode()

    def encrypt(self, text: str) -> str:
        nonce = os.urandom(_NONCE)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, text.encode(), self._aad)).decode()

    def decrypt(self, blob: str) -> str:
        raw = base64.b64decode(blob)
        return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], self._aad).decode()


class CipherCache:
    """Unwrapped ciphers of this node's busy conversations, so a message does not pay
    for unwrapping its conversation key (and setting up AES) every time.

    An entry is used only while the store still holds the same wrapped key: the caller
    reads the wrapped key with the conversation on every message anyway, so a
    conversation ended (and its key deleted) on another node is never encrypted to
    again from here. Entries are dropped when a conversation ends on this node, when
    they have not been used for ``max_idle_s`` (``drop_idle``, from the sweeper), and
    beyond ``size`` (least recently used first), so a key outlives its conversation in
    this process's memory for at most a sweep interval plus ``max_idle_s``.
    """

    def __init__(self, keyring: KeyRing, size: int = 4096, max_idle_s: float = 60.0) -> None:
        self._keyring = keyring
        self._size = size
        self._max_idle_s = max_idle_s
        # conversation id -> (wrapped key, cipher, last use on time.monotonic())
        self._entries: OrderedDict[str, tuple[str, ConversationCipher, float]] = OrderedDict()

    def get(self, conversation_id: str, wrapped: str) -> ConversationCipher:
        now = time.monotonic()
        entry = self._entries.get(conversation_id)
        if entry is not None and hmac.compare_digest(entry[0], wrapped):
            cipher = entry[1]
            self._entries.move_to_end(conversation_id)
        else:
            cipher = ConversationCipher(self._keyring.unwrap(wrapped, conversation_id), conversation_id)
        self._entries[conversation_id] = (wrapped, cipher, now)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return cipher

    def forget(self, conversation_id: str) -> None:
        self._entries.pop(conversation_id, None)

    def drop_idle(self) -> None:
        horizon = time.monotonic() - self._max_idle_s
        while self._entries:
            conversation_id, (_, _, used) = next(iter(self._entries.items()))
            if used >= horizon:
                break  # ordered by last use: the rest are newer
            del self._entries[conversation_id]

    def __len__(self) -> int:
        return len(self._entries)
