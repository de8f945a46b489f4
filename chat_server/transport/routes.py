"""Every HTTP route of the server, in one table. Nothing here but ``add_*`` calls; the
handlers are in http.py, admin_http.py, referral_http.py and metrics_http.py."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from . import admin_http as admin
from . import centres_http as centres
from . import http, metrics_http
from . import referral_http as rc

STAFF_ID = "{staff_id:[A-Za-z0-9_-]{1,64}}"
RECEIVER_ID = "{id:[a-z0-9][a-z0-9-]{1,63}}"
CENTRE = "{centre:[a-z][a-z0-9-]{1,39}}"

#: (method, path after /api, handler) of every route that acts on one centre's data.
CENTRE_ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/admin/staff", admin.list_staff),
    ("POST", "/admin/staff", admin.create_staff),
    ("PATCH", f"/admin/staff/{STAFF_ID}", admin.update_staff),
    ("POST", f"/admin/staff/{STAFF_ID}/password", admin.reset_password),
    ("POST", f"/admin/staff/{STAFF_ID}/totp", admin.reset_totp),
    ("GET", "/hours", admin.get_hours),
    ("PUT", "/admin/hours", admin.put_hours),
    ("GET", "/canned", admin.get_canned),
    ("PUT", "/admin/canned/{locale:[a-z]{2,3}}", admin.put_canned),
    ("GET", "/admin/audit", admin.get_audit),
    ("GET", "/referrals", rc.list_referrals),
    ("PUT", f"/admin/referrals/{RECEIVER_ID}", rc.put_referral),
    ("DELETE", f"/admin/referrals/{RECEIVER_ID}", rc.delete_referral),
    ("GET", "/triage", rc.triage_schema),
    ("GET", "/stats", rc.stats_json),
    ("GET", "/stats.csv", rc.stats_csv),
)


def setup_routes(app: web.Application) -> None:
    """Add every route to ``app``; nothing else."""
    r = app.router
    # Health, front ends, catalogs.
    r.add_get("/", http.root)
    r.add_get("/healthz", http.healthz)
    r.add_get("/readyz", http.readyz)
    r.add_get("/metrics", metrics_http.metrics)
    r.add_get("/widget.js", http.widget_loader)
    for prefix in ("widget", "console", "demo"):
        r.add_get(f"/{prefix}", http.redirect_to(f"/{prefix}/"))
        r.add_get(f"/{prefix}/", http.static_dir(prefix))
        r.add_get(f"/{prefix}/{{name:[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*}}", http.static_dir(prefix))
    r.add_get("/i18n/locales.json", http.locales_json)
    r.add_get("/i18n/{locale:[a-z]{2,3}}.json", http.catalog_json)
    # Staff sessions and the first run.
    r.add_post("/api/login", http.login)
    r.add_post("/api/logout", http.logout)
    r.add_get("/api/me", http.me)
    r.add_patch("/api/me", admin.patch_me)
    r.add_post("/api/setup/begin", admin.setup_begin)
    r.add_post("/api/setup/complete", admin.setup_complete)
    # Administration, the referral directory, the triage form and statistics: each path
    # acts on the person's own centre under /api and on a named one under
    # /api/centres/{centre} (issue 19), with the same handler.
    for method, path, handler in CENTRE_ROUTES:
        prefixes = ("/api",) if path == "/triage" else ("/api", f"/api/centres/{CENTRE}")  # one form for all
        for prefix in prefixes:
            checked = handler if prefix == "/api" else centres.for_named_centre(handler)
            if method == "GET":
                r.add_get(prefix + path, checked)  # and HEAD, as add_get does
            else:
                r.add_route(method, prefix + path, checked)
    # Centres: the person's own (the console's picker) and the national admin's.
    r.add_get("/api/centres", centres.my_centres)
    r.add_get("/api/admin/centres", centres.list_centres)
    r.add_post("/api/admin/centres", centres.create_centre)
    r.add_patch(f"/api/admin/centres/{CENTRE}", centres.update_centre)
    r.add_put(f"/api/admin/centres/{CENTRE}/staff/{STAFF_ID}", centres.set_membership)
    r.add_put(f"/api/admin/staff/{STAFF_ID}/national-admin", centres.set_national_admin)
