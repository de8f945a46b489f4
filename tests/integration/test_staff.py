"""Staff accounts: CLI, argon2id, TOTP, sessions and cookies."""

from __future__ import annotations

import aiohttp
from argon2 import PasswordHasher

from chat_server.security import totp
from chat_server.transport import keys as K
from tests.conftest import run_cli
from tests.helpers import StaffCredentials, login


def cli_env(tmp_path):
    return {"CHAT_DATA_DIR": str(tmp_path / "cli-data"), "CHAT_SECRET_KEY": "cli-test-secret-0123456789"}


def test_operators_cli_add_list_disable_passwd(tmp_path):
    env = cli_env(tmp_path)
    (tmp_path / "pw").write_text("a long enough password 1\n")
    (tmp_path / "totp").write_text(totp.new_secret())
    done = run_cli(
        "operators",
        "add",
        "sara",
        "--name",
        "Sara",
        "--role",
        "supervisor",
        "--password-file",
        str(tmp_path / "pw"),
        "--totp-secret-file",
        str(tmp_path / "totp"),
        "--languages",
        "sv,ar",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "created supervisor sara" in done.stdout
    again = run_cli("operators", "add", "sara", "--password-file", str(tmp_path / "pw"), env=env)
    assert again.returncode == 1 and "taken" in again.stderr
    (tmp_path / "short").write_text("short")
    weak = run_cli("operators", "add", "kim", "--password-file", str(tmp_path / "short"), env=env)
    assert weak.returncode == 2 and "at least 12" in weak.stderr
    listed = run_cli("operators", "list", env=env)
    assert "sara" in listed.stdout and "supervisor" in listed.stdout and "active" in listed.stdout
    assert run_cli("operators", "disable", "sara", env=env).returncode == 0
    assert "disabled" in run_cli("operators", "list", env=env).stdout
    (tmp_path / "pw2").write_text("another long password 2")
    assert run_cli("operators", "passwd", "sara", "--password-file", str(tmp_path / "pw2"), env=env).returncode == 0
    assert run_cli("operators", "disable", "nobody", env=env).returncode == 1


def test_cli_add_without_secret_prints_enrolment(tmp_path):
    env = cli_env(tmp_path)
    (tmp_path / "pw").write_text("a long enough password 1")
    done = run_cli("operators", "add", "amir", "--password-file", str(tmp_path / "pw"), env=env)
    assert done.returncode == 0, done.stderr
    assert "otpauth://totp/" in done.stdout and "secret:" in done.stdout


async def test_login_sets_strict_httponly_cookie_and_me_works(server):
    creds = await server.create_staff()
    # unsafe=True: the jar accepts cookies from an IP address (127.0.0.1).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        resp = await http.post(
            server.url + "/api/login",
            json={"username": creds.username, "password": creds.password, "totp": creds.next_code()},
        )
        assert resp.status == 200
        body = await resp.json()
        assert body["ok"] and body["staff"]["username"] == creds.username and body["csrf"]
        assert "password_hash" not in body["staff"] and "totp" not in body["staff"]
        raw = resp.headers.getall("Set-Cookie")[0]
        assert "HttpOnly" in raw and "SameSite=Strict" in raw and "Path=/" in raw
        assert "Secure" not in raw  # plain http on 127.0.0.1; Secure behind TLS
        me = await http.get(server.url + "/api/me")
        assert (await me.json())["staff"]["id"] == creds.id
        # Logout needs the CSRF token.
        assert (await http.post(server.url + "/api/logout")).status == 403
        out = await http.post(server.url + "/api/logout", headers={"X-CSRF-Token": body["csrf"]})
        assert out.status == 200
        assert (await http.get(server.url + "/api/me")).status == 401


async def test_wrong_credentials_all_look_the_same(server):
    creds = await server.create_staff()
    async with aiohttp.ClientSession() as http:
        answers = []
        for payload in (
            {"username": creds.username, "password": "wrong password!!", "totp": creds.next_code()},
            {"username": "nobody-here", "password": creds.password, "totp": "123456"},
            {"username": creds.username, "password": creds.password, "totp": "000000"},
        ):
            resp = await http.post(server.url + "/api/login", json=payload)
            answers.append((resp.status, await resp.json()))
        assert all(a == answers[0] for a in answers)
        assert answers[0][0] == 401 and answers[0][1]["error"]["code"] == "unauthorized"
        bad = await http.post(server.url + "/api/login", data=b"{not json")
        assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid"


async def test_totp_code_cannot_be_replayed(server):
    creds = await server.create_staff()
    code = creds.next_code()
    async with aiohttp.ClientSession() as http:
        first = await http.post(
            server.url + "/api/login", json={"username": creds.username, "password": creds.password, "totp": code}
        )
        assert first.status == 200
        second = await http.post(
            server.url + "/api/login", json={"username": creds.username, "password": creds.password, "totp": code}
        )
        assert second.status == 401


async def test_logins_are_throttled_per_account(server):
    creds = await server.create_staff()
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(6):
            resp = await http.post(
                server.url + "/api/login",
                json={"username": creds.username, "password": "not the password", "totp": "123456"},
            )
            statuses.append(resp.status)
        assert statuses[:5] == [401] * 5 and statuses[5] == 429
        # Even the right password is refused while throttled.
        resp = await http.post(
            server.url + "/api/login",
            json={"username": creds.username, "password": creds.password, "totp": creds.next_code()},
        )
        assert resp.status == 429


async def test_old_argon2_parameters_are_rehashed_on_login(server):
    creds = await server.create_staff()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(creds.password)
    await server.durable.update_staff(creds.id, {"password_hash": weak})
    await login(server.url, creds)
    record = await server.durable.get_staff(creds.id)
    assert record["password_hash"] != weak and "m=65536" in record["password_hash"]


async def test_disabled_account_cannot_log_in_and_loses_sessions(server, operator):
    op, session = await operator()
    await server.app[K.SERVICES].staff.set_disabled(session.credentials.id, True)
    async with aiohttp.ClientSession() as http:
        me = await http.get(server.url + "/api/me", headers={"Cookie": session.cookie})
        assert me.status == 401
    creds: StaffCredentials = session.credentials
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            server.url + "/api/login",
            json={"username": creds.username, "password": creds.password, "totp": creds.next_code()},
        )
        assert resp.status == 401


async def test_totp_secret_is_sealed_at_rest(server):
    creds = await server.create_staff()
    record = await server.durable.get_staff(creds.id)
    assert creds.totp_secret not in repr(record)
    assert record["password_hash"].startswith("$argon2id$")


def test_secret_rotation_keeps_staff_able_to_log_in(tmp_path):
    import asyncio

    from chat_server.security.crypto import KeyRing
    from chat_server.storage.sqlite import SqliteDurable

    env = cli_env(tmp_path)
    secret = totp.new_secret()
    (tmp_path / "pw").write_text("a long enough password 1")
    (tmp_path / "totp").write_text(secret)
    assert (
        run_cli(
            "operators",
            "add",
            "sara",
            "--password-file",
            str(tmp_path / "pw"),
            "--totp-secret-file",
            str(tmp_path / "totp"),
            env=env,
        ).returncode
        == 0
    )
    (tmp_path / "new").write_text("a-brand-new-deployment-secret-of-enough-length-0123")
    wrong = run_cli(
        "secret",
        "rotate",
        "--new-key-file",
        str(tmp_path / "new"),
        env={**env, "CHAT_SECRET_KEY": "not-the-old-key-at-all-000000000"},
    )
    assert wrong.returncode == 2 and "does not match the durable store" in wrong.stderr
    done = run_cli("secret", "rotate", "--new-key-file", str(tmp_path / "new"), env=env)
    assert done.returncode == 0, done.stderr
    assert "re-sealed 1 staff TOTP secrets" in done.stdout

    async def opened() -> str:
        store = SqliteDurable(tmp_path / "cli-data" / "rc.sqlite3")
        await store.open()
        record = await store.get_staff_by_username("sara")
        await store.close()
        return KeyRing((tmp_path / "new").read_text()).open(record["totp"], "totp:" + record["id"])

    assert asyncio.run(opened()) == secret
