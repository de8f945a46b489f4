"""Console HTTP API: first-run setup, login throttling, CSRF, admin accounts, hours,
canned responses and the audit log (which never holds content)."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import aiohttp

from chat_server.security import totp
from chat_server.transport import keys as K

from ..helpers import StaffCredentials, login


async def _json(http: aiohttp.ClientSession, method: str, url: str, **kw: Any) -> tuple[int, dict[str, Any]]:
    async with http.request(method, url, **kw) as resp:
        return resp.status, await resp.json()


async def test_first_run_setup_link_creates_admin_once(server) -> None:
    first_run = server.app[K.SERVICES].first_run
    token = await first_run.issue_token()
    assert token
    # Only the hash is stored.
    stored = await server.durable.list_kv("setup_token")
    assert stored and all(token not in key for key, _ in stored)
    async with aiohttp.ClientSession() as http:
        status, body = await _json(http, "POST", server.url + "/api/setup/begin", json={"token": "x" * 20})
        assert status == 401
        status, body = await _json(
            http, "POST", server.url + "/api/setup/begin", json={"token": token, "username": "chef"}
        )
        assert status == 200, body
        enrol = body["enrolment"]
        assert enrol["qr"].startswith("data:image/svg+xml") and totp.valid_secret(enrol["secret"])
        complete = {
            "token": token,
            "username": "chef",
            "name": "Chef",
            "password": "a long enough password",
            "locale": "en",
        }
        status, body = await _json(
            http, "POST", server.url + "/api/setup/complete", json={**complete, "totp": "000000"}
        )
        assert status == 401 and body["error"]["code"] == "unauthorized"
        code = totp.code_at(enrol["secret"])
        status, body = await _json(http, "POST", server.url + "/api/setup/complete", json={**complete, "totp": code})
        assert status == 200 and body["staff"]["role"] == "admin", body
        # Single use: the same link no longer works.
        status, body = await _json(http, "POST", server.url + "/api/setup/begin", json={"token": token})
        assert status == 401
    assert await first_run.issue_token() is None  # an admin exists now
    # The code used at setup cannot log in again (replay); the next step's code can.
    creds = StaffCredentials("chef", "a long enough password", enrol["secret"], last_step=int(time.time()) // totp.STEP)
    session = await login(server.url, creds)
    assert session.staff["username"] == "chef"


async def test_a_second_setup_begin_returns_the_same_enrolment(server) -> None:
    # Someone else holding the link (or the admin's second tab, or a reload) must not
    # replace the TOTP secret the admin already scanned: every begin with one token
    # returns the same pending enrolment, also when several arrive at once.
    token = await server.services.first_run.issue_token()
    url = server.url + "/api/setup/begin"
    async with aiohttp.ClientSession() as http:
        answers = await asyncio.gather(
            *(_json(http, "POST", url, json={"token": token, "username": f"u{i}"}) for i in range(4))
        )
        assert [status for status, _ in answers] == [200] * 4
        secrets_seen = {body["enrolment"]["secret"] for _, body in answers}
        assert len(secrets_seen) == 1
        (secret,) = secrets_seen
        status, body = await _json(http, "POST", url, json={"token": token, "username": "intruder"})
        assert status == 200 and body["enrolment"]["secret"] == secret
        # The admin's enrolment still completes with a code from the first secret.
        status, body = await _json(
            http,
            "POST",
            server.url + "/api/setup/complete",
            json={
                "token": token,
                "username": "chef",
                "name": "Chef",
                "password": "a long enough password",
                "totp": totp.code_at(secret),
                "locale": "sv",
            },
        )
        assert status == 200 and body["staff"]["role"] == "admin", body


async def test_setup_url_is_printed_and_logged_at_start(server_process, tmp_path) -> None:
    sp = server_process()
    for _ in range(100):
        if "/console/#setup=" in sp.log_text():
            break
        await asyncio.sleep(0.1)
    text = sp.log_text()
    assert "WARNING" in text and "no admin account exists" in text
    assert text.count("/console/#setup=") >= 2  # the log line and the stdout notice


async def test_login_throttled_per_account(server) -> None:
    creds = await server.create_staff("operator")
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(6):
            status, body = await _json(
                http,
                "POST",
                server.url + "/api/login",
                json={"username": creds.username, "password": "wrong password!", "totp": "123456"},
            )
            statuses.append(status)
        assert statuses[:5] == [401] * 5 and statuses[5] == 429
        # Even the right password is refused while throttled.
        status, body = await _json(
            http,
            "POST",
            server.url + "/api/login",
            json={
                "username": creds.username,
                "password": creds.password,
                "totp": creds.next_code(),
            },
        )
        assert status == 429 and body["error"]["code"] == "rate_limited"


async def test_login_throttled_per_address(server) -> None:
    async with aiohttp.ClientSession() as http:
        statuses = []
        for i in range(21):
            status, _ = await _json(
                http,
                "POST",
                server.url + "/api/login",
                json={"username": f"nobody{i}", "password": "x" * 12, "totp": "123456"},
            )
            statuses.append(status)
        assert statuses[-1] == 429 and statuses[0] == 401


async def test_admin_accounts_hours_canned_audit(server) -> None:
    admin = await login(server.url, await server.create_staff("admin"))
    operator = await login(server.url, await server.create_staff("operator"))
    h = {"X-CSRF-Token": admin.csrf, "Cookie": admin.cookie}
    async with aiohttp.ClientSession() as http:
        # CSRF: missing token and wrong origin are refused.
        status, _ = await _json(
            http, "POST", server.url + "/api/admin/staff", headers={"Cookie": admin.cookie}, json={}
        )
        assert status == 403
        status, _ = await _json(
            http,
            "PATCH",
            server.url + "/api/me",
            headers={**h, "Origin": "http://evil.example"},
            json={"locale": "ar"},
        )
        assert status == 403
        # Role: an operator cannot administer.
        status, _ = await _json(http, "GET", server.url + "/api/admin/staff", headers={"Cookie": operator.cookie})
        assert status == 403
        name = "new-" + secrets.token_hex(3)
        status, body = await _json(
            http,
            "POST",
            server.url + "/api/admin/staff",
            headers=h,
            json={
                "username": name,
                "name": "Ali",
                "role": "supervisor",
                "password": "another long password",
                "languages": ["ar", "sv"],
            },
        )
        assert status == 200, body
        new_id, secret = body["staff"]["id"], body["enrolment"]["secret"]
        new = await login(server.url, StaffCredentials(name, "another long password", secret))
        assert new.staff["role"] == "supervisor"
        status, body = await _json(
            http,
            "PATCH",
            f"{server.url}/api/admin/staff/{new_id}",
            headers=h,
            json={"role": "operator", "disabled": True},
        )
        assert status == 200 and body["staff"]["disabled"] and body["staff"]["role"] == "operator"
        status, body = await _json(http, "POST", f"{server.url}/api/admin/staff/{new_id}/totp", headers=h)
        assert status == 200 and body["enrolment"]["secret"] != secret
        status, _ = await _json(
            http,
            "POST",
            f"{server.url}/api/admin/staff/{new_id}/password",
            headers=h,
            json={"password": "short"},
        )
        assert status == 400
        # Own profile: locale is remembered.
        status, body = await _json(http, "PATCH", server.url + "/api/me", headers=h, json={"locale": "fa"})
        assert status == 200 and body["staff"]["locale"] == "fa"
        # Hours.
        doc = {
            "weekly": {"0": [["09:00", "16:00"]]},
            "exceptions": {"2026-12-24": []},
            "closed_on_holidays": True,
            "last_call_min": 15,
        }
        status, body = await _json(http, "PUT", server.url + "/api/admin/hours", headers=h, json=doc)
        assert status == 200 and body["hours"]["weekly"] == {"0": [["09:00", "16:00"]]}
        status, body = await _json(
            http,
            "PUT",
            server.url + "/api/admin/hours",
            headers=h,
            json={"weekly": {"0": [["17:00", "16:00"]]}},
        )
        assert status == 400
        status, body = await _json(http, "GET", server.url + "/api/hours", headers={"Cookie": operator.cookie})
        assert body["hours"]["last_call_min"] == 15
        # Canned responses: translated defaults per locale, replaceable by an admin.
        status, body = await _json(http, "GET", server.url + "/api/canned", headers={"Cookie": operator.cookie})
        assert set(body["locales"]) >= {"sv", "ar", "ti"} and body["locales"]["ar"]["items"]
        status, body = await _json(
            http,
            "PUT",
            server.url + "/api/admin/canned/so",
            headers=h,
            json={"items": [{"id": "hi", "title": "Salaan", "text": "Salaan, waxaan ahay {name}."}]},
        )
        assert status == 200 and body["items"][0]["title"] == "Salaan"
        # Audit log: actions are there, no content.
        status, body = await _json(http, "GET", server.url + "/api/admin/audit", headers={"Cookie": admin.cookie})
        actions = {e["action"] for e in body["items"]}
        assert {
            "login",
            "staff_create",
            "staff_update",
            "staff_disable",
            "totp_reset",
            "hours_update",
            "canned_update",
        } <= actions
        assert "Salaan" not in str(body)
