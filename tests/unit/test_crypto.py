from __future__ import annotations

import secrets

import pytest
from cryptography.exceptions import InvalidTag

from chat_server.security import totp
from chat_server.security.crypto import CipherCache, ConversationCipher, KeyRing


def test_conversation_key_wrapping_is_bound_to_the_conversation():
    ring = KeyRing("deployment secret")
    key = ring.new_conversation_key()
    wrapped = ring.wrap(key, "conv-a")
    assert ring.unwrap(wrapped, "conv-a") == key
    with pytest.raises(InvalidTag):
        ring.unwrap(wrapped, "conv-b")
    with pytest.raises(InvalidTag):
        KeyRing("another secret").unwrap(wrapped, "conv-a")


def test_messages_are_encrypted_and_bound_to_the_conversation():
    ring = KeyRing("deployment secret")
    key = ring.new_conversation_key()
    blob = ConversationCipher(key, "conv-a").encrypt("Hej hemlis")
    assert "Hej" not in blob
    assert ConversationCipher(key, "conv-a").decrypt(blob) == "Hej hemlis"
    with pytest.raises(InvalidTag):
        ConversationCipher(key, "conv-b").decrypt(blob)
    # A fresh nonce each time: equal texts do not give equal ciphertexts.
    assert ConversationCipher(key, "conv-a").encrypt("x") != ConversationCipher(key, "conv-a").encrypt("x")


def test_lookup_hash_is_keyed():
    assert KeyRing("a").lookup_hash("token") != KeyRing("b").lookup_hash("token")
    assert KeyRing("a").lookup_hash("token") == KeyRing("a").lookup_hash("token")


def test_totp_window_and_replay():
    secret = totp.new_secret()
    now = 1_800_000_000.0
    step = int(now) // 30
    assert totp.matching_step(secret, totp.code_at(secret, now), 0, now) == step
    assert totp.matching_step(secret, totp.code_at(secret, now - 30), 0, now) == step - 1
    assert totp.matching_step(secret, totp.code_at(secret, now + 30), 0, now) == step + 1
    assert totp.matching_step(secret, totp.code_at(secret, now - 60), 0, now) is None
    # Replay: a code at or before the last used step is refused.
    assert totp.matching_step(secret, totp.code_at(secret, now), step, now) is None
    assert totp.matching_step(secret, "12345", 0, now) is None
    assert totp.matching_step(secret, "abcdef", 0, now) is None


async def test_daily_rate_limit_key_is_shared_through_the_ephemeral_store():
    from chat_server.security.ratelimit import DailyKeyedHasher
    from chat_server.storage.memory import MemoryEphemeral

    store = MemoryEphemeral()
    a, b = DailyKeyedHasher(), DailyKeyedHasher()
    assert a("192.0.2.1") != b("192.0.2.1")  # separate processes, separate keys
    await a.sync(store)
    await b.sync(store)
    assert a("192.0.2.1") == b("192.0.2.1")
    assert "192.0.2.1" not in a("192.0.2.1")
    # Another day, another key.
    later = DailyKeyedHasher(clock=lambda: 10**9 + 86400 * 3)
    await later.sync(store)
    assert later("192.0.2.1") != a("192.0.2.1")


def test_cipher_cache_reuses_only_while_the_wrapped_key_is_unchanged():
    ring = KeyRing("deployment secret")
    cache = CipherCache(ring, size=2)
    key_a = secrets.token_bytes(32)
    wrapped_a = ring.wrap(key_a, "conv-a")
    first = cache.get("conv-a", wrapped_a)
    assert cache.get("conv-a", wrapped_a) is first
    # A new wrapping (key rotation, or a new key under the same id) is unwrapped afresh.
    rewrapped = ring.wrap(key_a, "conv-a")
    assert cache.get("conv-a", rewrapped) is not first
    ciphertext = first.encrypt("hej")
    assert cache.get("conv-a", rewrapped).decrypt(ciphertext) == "hej"
    cache.forget("conv-a")
    assert len(cache) == 0


def test_cipher_cache_is_bounded_and_drops_idle_entries():
    ring = KeyRing("deployment secret")
    cache = CipherCache(ring, size=2, max_idle_s=0.0)
    for cid in ("a", "b", "c"):
        cache.get(cid, ring.wrap(secrets.token_bytes(32), cid))
    assert len(cache) == 2  # the least recently used went first
    cache.drop_idle()
    assert len(cache) == 0
