"""The installed command line, and the check that the secret key is the store's key.

``rc-chat`` is run as an administrator would: from a folder outside the checkout (a
systemd unit, a cron job, a home directory). A durable store remembers which
CHAT_SECRET_KEY it was created with; the server and every command refuse another key
with one clear sentence, and no login answers 500 because of a key mismatch.
"""

from __future__ import annotations

import aiohttp
import pytest

from chat_server.secret_key import KEY_CHECK, META_NAMESPACE, StartupError
from chat_server.security import totp
from chat_server.security.crypto import KeyRing
from tests.conftest import ROOT, make_settings, run_cli, start_server

KEY = "the-servers-key-0123456789-abcdefghij"
OTHER = "another-key-entirely-0123456789-abcdef"


def _add(tmp_path, env, username="sara", cwd=None):
    (tmp_path / "pw").write_text("a long enough password 1")
    (tmp_path / "totp").write_text(totp.new_secret())
    return run_cli(
        "operators",
        "add",
        username,
        "--password-file",
        str(tmp_path / "pw"),
        "--totp-secret-file",
        str(tmp_path / "totp"),
        env=env,
        cwd=cwd,
    )


def test_rc_chat_works_from_a_folder_outside_the_checkout(tmp_path):
    elsewhere = tmp_path / "admin-home"
    elsewhere.mkdir()
    assert not elsewhere.is_relative_to(ROOT)
    helped = run_cli("--help", cwd=elsewhere)
    assert helped.returncode == 0, helped.stderr
    for command in ("serve", "operators", "locales", "secret", "bench"):
        assert command in helped.stdout
    env = {"CHAT_DATA_DIR": str(elsewhere / "data"), "CHAT_SECRET_KEY": KEY}
    assert _add(tmp_path, env, cwd=elsewhere).returncode == 0
    listed = run_cli("operators", "list", env=env, cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    assert "sara" in listed.stdout
    # Embedded mode without a key: the first command on a new data folder makes one.
    bare = {"CHAT_DATA_DIR": str(elsewhere / "fresh")}
    assert run_cli("operators", "list", env=bare, cwd=elsewhere).returncode == 0
    assert (elsewhere / "fresh" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_cli_refuses_another_key_for_an_existing_store(tmp_path):
    env = {"CHAT_DATA_DIR": str(tmp_path / "data"), "CHAT_SECRET_KEY": KEY}
    assert _add(tmp_path, env).returncode == 0
    wrong = _add(tmp_path, {**env, "CHAT_SECRET_KEY": OTHER}, username="amir")
    assert wrong.returncode == 2
    assert "does not match the durable store" in wrong.stderr and "Traceback" not in wrong.stderr
    listed = run_cli("operators", "list", env={**env, "CHAT_SECRET_KEY": OTHER})
    assert listed.returncode == 2 and "does not match" in listed.stderr


def test_cli_never_generates_a_key_for_an_existing_store(tmp_path):
    data = tmp_path / "data"
    env = {"CHAT_DATA_DIR": str(data), "CHAT_SECRET_KEY": KEY}
    assert _add(tmp_path, env).returncode == 0
    # The administrator forgets the server's key: no new key appears, nothing is written.
    done = _add(tmp_path, {"CHAT_DATA_DIR": str(data)}, username="amir")
    assert done.returncode == 2
    assert "already exists" in done.stderr and "CHAT_SECRET_KEY" in done.stderr
    assert not (data / "secret_key").exists()
    assert "amir" not in run_cli("operators", "list", env=env).stdout


async def test_server_refuses_to_start_against_a_store_of_another_key(tmp_path):
    first = await start_server(make_settings(tmp_path, secret_key=KEY))
    await first.create_staff()
    stored = await first.durable.get_kv(META_NAMESPACE, KEY_CHECK)
    assert stored is not None and KEY not in repr(stored)
    await first.stop()
    with pytest.raises(StartupError, match="does not match the durable store"):
        await start_server(make_settings(tmp_path, secret_key=OTHER))


async def test_a_store_from_before_the_check_gets_its_value_or_is_refused(tmp_path):
    # A release without the check left accounts but no key-check value.
    first = await start_server(make_settings(tmp_path, secret_key=KEY))
    await first.create_staff()
    await first.durable.delete_kv(META_NAMESPACE, KEY_CHECK)
    await first.stop()
    with pytest.raises(StartupError, match="does not match"):
        await start_server(make_settings(tmp_path, secret_key=OTHER))
    again = await start_server(make_settings(tmp_path, secret_key=KEY))
    assert (await again.durable.get_kv(META_NAMESPACE, KEY_CHECK))["value"] == KeyRing(KEY).key_check
    await again.stop()


async def test_an_account_sealed_under_another_key_cannot_make_login_answer_500(server):
    creds = await server.create_staff()
    # As if written by a process with the wrong key (before this check existed).
    await server.durable.update_staff(creds.id, {"totp": KeyRing(OTHER).seal(creds.totp_secret, "totp:" + creds.id)})
    async with aiohttp.ClientSession() as http:
        async with http.post(
            server.url + "/api/login",
            json={"username": creds.username, "password": creds.password, "totp": creds.next_code()},
            headers={"Accept-Language": "sv"},
        ) as resp:
            body = await resp.json()
            assert resp.status == 503, body
            assert body["error"]["code"] == "unavailable"
            assert "administratör" in body["error"]["message"]


def test_centres_load_example_and_a_centre_admin_from_the_command_line(tmp_path):
    env = {"CHAT_DATA_DIR": str(tmp_path / "data"), "CHAT_SECRET_KEY": KEY}
    # `make run`'s form: only into an installation with no centre but "default".
    loaded = run_cli("centres", "load-example", "--if-single", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "created 9 centres" in loaded.stdout and "verify before use" in loaded.stdout
    again = run_cli("centres", "load-example", env=env)
    assert "created 0 centres" in again.stdout and "already present" in again.stdout
    skipped = run_cli("centres", "load-example", "--if-single", env=env)
    assert skipped.returncode == 0 and "not loaded" in skipped.stdout and "created" not in skipped.stdout
    listed = run_cli("centres", "list", env=env)
    assert listed.returncode == 0 and "skane" in listed.stdout and "nkt-konsultation" in listed.stdout
    (tmp_path / "pw").write_text("a long enough password 1")
    (tmp_path / "totp").write_text(totp.new_secret())
    made = run_cli(
        "operators",
        "add",
        "lina",
        "--role",
        "admin",
        "--centre",
        "skane",
        "--password-file",
        str(tmp_path / "pw"),
        "--totp-secret-file",
        str(tmp_path / "totp"),
        env=env,
    )
    assert made.returncode == 0, made.stderr
