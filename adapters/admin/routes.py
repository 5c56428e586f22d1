"""The ``/admin`` sub-application: sign-in, the wave list, a wave's page, the new-wave form, actions and exports.

All wave work goes through ``WaveOps``, the same facade as ``candor wave ...``.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

from aiohttp import web

from adapters.admin import pages
from adapters.admin.auth import LOGIN_COOKIE, SESSION_COOKIE, SESSION_SECONDS, AdminAuth, set_cookie
from adapters.admin.forms import WaveForm, read_form
from adapters.wave_ops import EXPORT_FORMATS, ExportFormat, WaveOps
from bot.errors import ConfigError, FlowNotFound
from bot.waves.store import WaveError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSS = (Path(__file__).parent / "admin.css").read_text(encoding="utf-8")
PUBLIC = frozenset({"/admin/login", "/admin/static/admin.css"})
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
EXPORT_FILES: dict[str, tuple[str, str]] = {
    "csv": ("text/csv", "{id}.csv"),
    "jsonl": ("application/x-ndjson", "{id}.jsonl"),
    "dataset": ("text/csv", "{id}-dataset.csv"),
}
WAVE_ID = r"{wave_id:[a-z0-9][a-z0-9-]{0,39}}"


@functools.cache
def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _safe_next(path: str) -> str:
    """Only back into the admin page: never another site or a protocol-relative URL."""
    if path.startswith("/admin/") and "//" not in path and "\\" not in path:
        return path
    return "/admin/"


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


class AdminSite:
    def __init__(self, ops: WaveOps, auth: AdminAuth, min_group: int) -> None:
        self.ops = ops
        self.auth = auth
        self.min_group = min_group

    # -- access ---------------------------------------------------------------------------

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC:
            return await handler(request)
        identity = self.auth.identify(request)
        if identity is None:
            return self._refuse(request)
        if request.method == "POST":
            posted = await request.post()
            if not self.auth.csrf_ok(identity, str(posted.get("csrf", ""))):
                text = "The form was out of date or came from another site. Reload the page and try again."
                return _html(pages.message_page("Refused", text, self._csrf(request)), 403)
        return await handler(request)

    def _refuse(self, request: web.Request) -> web.StreamResponse:
        if request.method in ("GET", "HEAD") and "text/html" in request.headers.get("Accept", ""):
            login = request.app.router["login"].url_for().with_query(next=request.path_qs)
            raise web.HTTPSeeOther(location=str(login))
        return web.Response(
            status=401,
            text="sign in at /admin/login, or send Authorization: Bearer <CANDOR_ADMIN_TOKEN>\n",
            headers={"WWW-Authenticate": 'Bearer realm="candor admin"'},
        )

    def _csrf(self, request: web.Request) -> str | None:
        identity = self.auth.identify(request)  # cheap, and keeps the request's storage free of our keys
        return self.auth.csrf_token(identity) if identity is not None else None

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        return self._login(request, _safe_next(request.query.get("next", "")))

    def _login(self, request: web.Request, next_path: str, error: str = "", status: int = 200) -> web.Response:
        nonce = request.cookies.get(LOGIN_COOKIE) or self.auth.new_login_nonce()
        response = _html(
            pages.login_page(
                self.auth.login_csrf(nonce),
                next_path,
                token_enabled=self.auth.token is not None,
                sso_header=self.auth.sso_header,
                error=error,
            ),
            status,
        )
        set_cookie(response, request, LOGIN_COOKIE, nonce, 3600)
        return response

    async def login(self, request: web.Request) -> web.StreamResponse:
        posted = await request.post()
        next_path = _safe_next(str(posted.get("next", "")))
        if not self.auth.login_csrf_ok(request.cookies.get(LOGIN_COOKIE, ""), str(posted.get("csrf", ""))):
            return self._login(request, next_path, "The sign-in form was out of date. Try again.", 403)
        if not self.auth.check_token(str(posted.get("token", ""))):
            return self._login(request, next_path, "That token is not right.", 401)
        response = web.HTTPSeeOther(location=next_path)
        set_cookie(response, request, SESSION_COOKIE, self.auth.new_session(), SESSION_SECONDS)
        response.del_cookie(LOGIN_COOKIE, path="/admin")
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        response = web.HTTPSeeOther(location="/admin/login")
        response.del_cookie(SESSION_COOKIE, path="/admin")
        raise response

    async def stylesheet(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text=CSS, content_type="text/css", charset="utf-8")

    # -- pages ----------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return _html(pages.wave_list(await self.ops.summaries(), self._csrf(request)))

    async def _wave(self, request: web.Request, wave_id: str, *, error: str = "", status: int = 200) -> web.Response:
        try:
            summary = await self.ops.summary(wave_id)
        except WaveError as exc:
            return _html(pages.message_page("No such wave", str(exc), self._csrf(request)), 404)
        notice = pages.DONE.get(request.query.get("done", ""), "")
        csrf = self._csrf(request) or ""
        return _html(pages.wave_page(summary, csrf, self.min_group, notice=notice, error=error), status)

    async def wave(self, request: web.Request) -> web.StreamResponse:
        return await self._wave(request, request.match_info["wave_id"])

    async def act(self, request: web.Request) -> web.StreamResponse:
        wave_id, action = request.match_info["wave_id"], request.match_info["action"]
        posted = await request.post()
        if action == "cancel" and posted.get("confirm") != "yes":
            return await self._wave(request, wave_id, error="Tick the box to confirm the cancellation.", status=400)
        try:
            await getattr(self.ops, action)(wave_id)
        except WaveError as exc:
            return await self._wave(request, wave_id, error=str(exc), status=409)
        raise web.HTTPSeeOther(location=f"/admin/waves/{wave_id}?done={action}")

    def _form_page(self, request: web.Request, form: WaveForm, status: int = 200) -> web.Response:
        flows = [(flow.id, f"{flow.title} ({flow.id})") for flow in self.ops.flows]
        return _html(pages.new_wave_page(form, flows, time_zones(), self._csrf(request) or ""), status)

    async def new_form(self, request: web.Request) -> web.StreamResponse:
        return self._form_page(request, WaveForm.blank())

    async def create(self, request: web.Request) -> web.StreamResponse:
        posted = await request.post()
        form, spec = read_form({name: str(value) for name, value in posted.items()})
        if spec is not None:
            try:
                await self.ops.create(spec)
            except FlowNotFound as exc:
                form.add("flow", str(exc))
            except WaveError as exc:
                form.add("id", str(exc))
            else:
                raise web.HTTPSeeOther(location=f"/admin/waves/{spec.id}?done=created")
        return self._form_page(request, form, 400)

    async def export(self, request: web.Request) -> web.StreamResponse:
        wave_id, fmt = request.match_info["wave_id"], request.match_info["fmt"]
        try:
            data = await self.ops.export(wave_id, cast(ExportFormat, fmt))
        except WaveError as exc:
            return _html(pages.message_page("No such wave", str(exc), self._csrf(request)), 404)
        except ConfigError as exc:
            return _html(pages.message_page("No transcripts to export", str(exc), self._csrf(request)), 409)
        content_type, name = EXPORT_FILES[fmt]
        return web.Response(
            body=data,
            content_type=content_type,
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name.format(id=wave_id)}"'},
        )


def admin_app(ops: WaveOps, auth: AdminAuth, min_group: int) -> web.Application:
    site = AdminSite(ops, auth, min_group)
    app = web.Application(middlewares=[site.guard])
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/login", site.login_form, name="login")
    app.router.add_post("/login", site.login)
    app.router.add_post("/logout", site.logout)
    app.router.add_get("/static/admin.css", site.stylesheet)
    app.router.add_get("/", site.index)
    app.router.add_get("/waves/new", site.new_form)
    app.router.add_post("/waves/new", site.create)
    app.router.add_get(f"/waves/{WAVE_ID}", site.wave)
    app.router.add_post(f"/waves/{WAVE_ID}/{{action:start|pause|resume|cancel}}", site.act)
    app.router.add_get(f"/waves/{WAVE_ID}/export/{{fmt:{'|'.join(EXPORT_FORMATS)}}}", site.export)
    return app


def mount_admin(app: web.Application, admin: web.Application) -> None:
    async def to_index(request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect(location="/admin/")

    app.router.add_get("/admin", to_index)  # first: the sub-application would claim the bare prefix too
    app.add_subapp("/admin", admin)
