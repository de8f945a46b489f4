"""Command line: ``python -m chat_server serve | operators … | locales … | bench``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import Settings, SettingsError, load_settings
from .services.roles import ROLES

log = logging.getLogger("chat_server")


def _settings(args: argparse.Namespace, **overrides: object) -> Settings:
    given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    return load_settings(None, getattr(args, "config", None), **given)


def cmd_serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from .app import StartupError, create_app
    from .logging_setup import PrivacyAccessLogger, configure

    settings = _settings(args, host=args.host, port=args.port)
    configure(settings.log_level, settings.log_json)
    _raise_open_files_limit()
    try:
        app = create_app(settings)
    except StartupError as exc:
        log.error("%s", exc)
        return 2
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    ephemeral_kind = settings.ephemeral_url.split(":", 1)[0]
    durable_kind = settings.effective_durable_url.split(":", 1)[0]

    async def announce(_app: web.Application) -> None:
        print(
            f"\nRC chat is running (ephemeral={ephemeral_kind}, durable={durable_kind}).\n"
            f"  Sample host page with the widget: {base}/demo/\n"
            f"  Operator console:                 {base}/console/\n"
            f"  Widget loader for host sites:     {base}/widget.js\n"
            f"  Health:                           {base}/healthz\n",
            flush=True,
        )

    async def freeze_heap(_app: web.Application) -> None:
        # Everything built at start (catalogs, routes, settings…) lives as long as the
        # process: move it out of the garbage collector's sight, so the full collections
        # that a busy chat triggers do not rescan it each time (pauses of tens of ms on
        # a small machine; docs/performance.md).
        import gc

        gc.collect()
        gc.freeze()

    app.on_startup.append(announce)
    app.on_startup.append(freeze_heap)
    try:
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            access_log_class=PrivacyAccessLogger,
            print=None,
            shutdown_timeout=5,
        )
    except StartupError as exc:
        log.error("%s", exc)
        return 2
    return 0


def _raise_open_files_limit() -> None:
    """Every connected visitor holds a socket; the usual soft limit of 1,024 open files
    would refuse connections long before memory runs out, so lift it to the hard limit."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(
                resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else max(soft, 65536), hard)
            )
    except (ImportError, ValueError, OSError):  # not on this platform, or not allowed
        log.warning("could not raise the open-files limit")


def _read_password(path: str | None, prompt: str = "Password: ") -> str:
    if path:
        return Path(path).read_text(encoding="utf-8").rstrip("\n")
    first = getpass.getpass(prompt)
    if getpass.getpass("Again: ") != first:
        raise SystemExit("passwords differ")
    return first


async def _with_staff(args: argparse.Namespace, action: str) -> int:
    from . import i18n
    from .secret_key import StartupError, check_secret, resolve_secret
    from .security import totp
    from .security.crypto import KeyRing
    from .services.audit import Audit
    from .services.centre_migration import do_migrate_to_centres
    from .services.staff import StaffService
    from .storage import Conflict, open_durable
    from .storage.memory import MemoryEphemeral

    settings = _settings(args)
    try:
        # Before the store is opened: opening a SQLite store creates it.
        keyring = KeyRing(resolve_secret(settings))
    except StartupError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    durable = open_durable(settings.effective_durable_url)
    if hasattr(durable, "open"):
        await durable.open()
    service = StaffService(durable, MemoryEphemeral(), keyring, settings, Audit(durable))
    try:
        try:
            await check_secret(durable, keyring, settings)
        except StartupError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        await do_migrate_to_centres(durable)
        if action == "add":
            secret = None
            if args.totp_secret_file:
                secret = (await asyncio.to_thread(Path(args.totp_secret_file).read_text)).strip()
            languages = [c.strip() for c in (args.languages or args.locale).split(",") if c.strip()]
            if not all(i18n.is_supported(c) for c in [args.locale, *languages]):
                print(f"unsupported locale; choose from {', '.join(i18n.SUPPORTED)}", file=sys.stderr)
                return 2
            try:
                staff, secret = await service.create(
                    args.username,
                    args.name or args.username,
                    args.role,
                    _read_password(args.password_file),
                    secret,
                    args.locale,
                    languages,
                    centres={args.centre: args.role},
                    national_admin=args.national_admin,
                )
            except Conflict:
                print(f"username {args.username!r} is taken", file=sys.stderr)
                return 1
            except ValueError as exc:
                print(str(exc), file=sys.stderr)
                return 2
            print(f"created {staff['role']} {staff['username']} ({staff['id']})")
            if not args.totp_secret_file:
                uri = totp.provisioning_uri(secret, staff["username"], "RC chat")
                print("Enrol this TOTP secret in an authenticator app now; it is not shown again.")
                print(f"  secret: {secret}\n  uri:    {uri}")
                try:
                    import segno

                    segno.make(uri, error="m").terminal(compact=True)
                except Exception as exc:  # noqa: BLE001 - the QR is a convenience
                    log.debug("no QR code in this terminal (%s)", type(exc).__name__)
            return 0
        record = None
        if action != "list":
            record = await durable.get_staff_by_username(args.username)
            if record is None:
                print(f"no such account: {args.username}", file=sys.stderr)
                return 1
        if action == "list":
            for r in await durable.list_staff():
                state = "disabled" if r.get("disabled") else "active"
                print(f"{r['username']:<24} {r['role']:<11} {state:<9} {r['name']}")
        elif action == "disable":
            await service.set_disabled(record["id"], True)  # type: ignore[index]
            print(f"disabled {args.username}")
        elif action == "enable":
            await service.set_disabled(record["id"], False)  # type: ignore[index]
            print(f"enabled {args.username}")
        elif action == "passwd":
            try:
                await service.set_password(record["id"], _read_password(args.password_file, "New password: "))  # type: ignore[index]
            except ValueError as exc:
                print(str(exc), file=sys.stderr)
                return 2
            print(f"password changed for {args.username}; their sessions were ended")
        return 0
    finally:
        await durable.close()


async def _with_centres(args: argparse.Namespace) -> int:
    from . import i18n
    from .secret_key import StartupError, check_secret, resolve_secret
    from .security.crypto import KeyRing
    from .services.audit import Audit
    from .services.centre_examples import do_load_example, known_municipalities
    from .services.centre_migration import do_migrate_to_centres
    from .services.centres import Centres
    from .storage import open_durable

    settings = _settings(args)
    try:
        keyring = KeyRing(resolve_secret(settings))
    except StartupError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    durable = open_durable(settings.effective_durable_url)
    if hasattr(durable, "open"):
        await durable.open()
    try:
        try:
            await check_secret(durable, keyring, settings)
        except StartupError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        await do_migrate_to_centres(durable)
        centres = Centres(durable, Audit(durable), i18n.SUPPORTED, known_municipalities())
        if args.action == "load-example" and args.if_single and any(c.id != "default" for c in await centres.all()):
            print("this installation has its own centres: example centres not loaded")
        elif args.action == "load-example":
            created, present = await do_load_example(centres)
            print(f"created {len(created)} centres: {', '.join(created) or '-'}")
            if present:
                print(f"already present (left unchanged): {', '.join(present)}")
            print("Every contact in the example data is marked 'verify before use'.")
        else:
            for centre in await centres.all():
                state = "disabled" if centre.disabled else "active"
                area = centre.county or "-"
                print(f"{centre.id:<20} {area:<9} {len(centre.municipalities):>3} {state:<9} {centre.name('sv')}")
        return 0
    finally:
        await durable.close()


def cmd_centres(args: argparse.Namespace) -> int:
    """``rc-chat centres list|load-example``."""
    return asyncio.run(_with_centres(args))


def cmd_operators(args: argparse.Namespace) -> int:
    return asyncio.run(_with_staff(args, args.action))


def cmd_secret(args: argparse.Namespace) -> int:
    """Rotate the deployment secret: see chat_server/secret_rotation.py."""
    from .secret_key import StartupError, check_secret, resolve_secret, set_key_check
    from .secret_rotation import rotate, verify_old_key
    from .security.crypto import KeyRing
    from .storage import open_durable

    settings = _settings(args)
    new_secret = Path(args.new_key_file).read_text(encoding="utf-8").strip()
    if len(new_secret) < 32:
        print("the new key must be at least 32 characters (use 48 random bytes)", file=sys.stderr)
        return 2

    async def run() -> int:
        durable = open_durable(settings.effective_durable_url)
        if hasattr(durable, "open"):
            await durable.open()
        try:
            old = KeyRing(resolve_secret(settings))
            await check_secret(durable, old, settings)
            if not verify_old_key(await durable.list_staff(), old):
                print("the current CHAT_SECRET_KEY does not open the stored secrets; nothing changed", file=sys.stderr)
                return 1
            new = KeyRing(new_secret)
            counts = await rotate(durable, old, new)
            await set_key_check(durable, new)
        except StartupError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        finally:
            await durable.close()
        print(
            f"re-sealed {counts['staff_resealed']} staff TOTP secrets, ended {counts['sessions_ended']} "
            f"sessions and setup links; {counts['followups_lost']} follow-up codes can no longer be found.\n"
            "Now give every process the new key and start them."
        )
        return 0

    return asyncio.run(run())


def cmd_locales(args: argparse.Namespace) -> int:
    from . import locales_cli

    return locales_cli.run(args.action)


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import bench

    return int(bench.main(args.rest))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chat_server", description=__doc__)
    parser.add_argument("--config", help="TOML settings file (otherwise CHAT_* environment)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the chat server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--config", help="TOML settings file")
    serve.set_defaults(func=cmd_serve)

    ops = sub.add_parser("operators", help="manage staff accounts")
    ops_sub = ops.add_subparsers(dest="action", required=True)
    add = ops_sub.add_parser("add", help="create a staff account")
    add.add_argument("username")
    add.add_argument("--name", help="display name shown to visitors (first name or alias)")
    add.add_argument("--role", choices=ROLES, default="operator")
    add.add_argument("--password-file", help="read the password from this file instead of a prompt")
    add.add_argument("--totp-secret-file", help="use this base32 TOTP secret instead of a new one")
    add.add_argument("--locale", default="sv", help="console language")
    add.add_argument("--languages", help="comma-separated languages the person chats in")
    add.add_argument("--centre", default="default", help="the centre they work in, with --role there")
    add.add_argument("--national-admin", action="store_true", help="may manage every centre")
    ops_sub.add_parser("list", help="list accounts")
    for name, text in (("disable", "disable an account"), ("enable", "enable an account")):
        p = ops_sub.add_parser(name, help=text)
        p.add_argument("username")
    pw = ops_sub.add_parser("passwd", help="set a new password")
    pw.add_argument("username")
    pw.add_argument("--password-file")
    for p in ops_sub.choices.values():
        p.add_argument("--config", help="TOML settings file")
    ops.set_defaults(func=cmd_operators)

    centres = sub.add_parser("centres", help="resource centres of this installation")
    centres.add_argument("action", choices=("list", "load-example"))
    centres.add_argument("--config", help="TOML settings file")
    centres.add_argument(
        "--if-single",
        action="store_true",
        help="load-example only when the installation has no centre but 'default' (make run: the demo's centres)",
    )
    centres.set_defaults(func=cmd_centres)

    secret = sub.add_parser("secret", help="rotate the deployment secret (service stopped)")
    secret.add_argument("action", choices=("rotate",))
    secret.add_argument("--new-key-file", required=True, help="file holding the new secret key")
    secret.add_argument("--config", help="TOML settings file")
    secret.set_defaults(func=cmd_secret)

    loc = sub.add_parser("locales", help="translation catalogs")
    loc.add_argument("action", choices=("extract", "update", "compile", "check"))
    loc.set_defaults(func=cmd_locales)

    bench = sub.add_parser("bench", help="run the load benchmark (see docs/performance.md)")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .private_files import restrict_umask

    # Before anything is created: the database, its -wal/-shm files and the secret key
    # file are readable by this user only (private_files.py).
    restrict_umask()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        # The benchmark has its own options (argparse's REMAINDER would swallow none of
        # the ones starting with "--"), so hand everything after "bench" to it.
        return cmd_bench(argparse.Namespace(rest=argv[1:]))
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
