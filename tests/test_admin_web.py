"""The /admin page through aiohttp's test client, on the real ``candor serve`` app and a real Redis."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from adapters.admin.counts import protect
from adapters.service import Service, open_service
from bot.config import Settings
from bot.waves.store import WaveState, WaveStore
from tests.admin_harness import (
    SSO_HEADER,
    TOKEN,
    add_people,
    admin_settings,
    advance,
    deliver_transcript,
    drop_keys,
    spec,
    wave_store,
)

HTML = {"Accept": "text/html"}
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Admin:
    client: TestClient[Any, Any]
    service: Service
    store: WaveStore
    settings: Settings


Opener = Callable[..., Coroutine[Any, Any, Admin]]


@pytest.fixture
async def open_admin(redis_url: str, tmp_path: Path) -> AsyncIterator[Opener]:
    opened: list[Admin] = []

    async def open_(**overrides: Any) -> Admin:
        settings = admin_settings(redis_url, tmp_path / "data", **overrides)
        service = await open_service(settings, None)
        client: TestClient[Any, Any] = TestClient(TestServer(service.web_app))
        await client.start_server()
        admin = Admin(client, service, wave_store(service), settings)
        opened.append(admin)
        return admin

    yield open_
    for admin in opened:
        await admin.client.close()
        await drop_keys(redis_url, admin.settings.redis_prefix)
        await admin.service.close()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def sign_in(admin: Admin) -> None:
    page = await (await admin.client.get("/admin/login")).text()
    response = await admin.client.post(
        "/admin/login", data={"token": TOKEN, "csrf": csrf_of(page), "next": "/admin/"}, allow_redirects=False
    )
    assert response.status == 303


class Tables(HTMLParser):
    """Every table on a page, by caption: rows of cell texts."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_caption = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._caption, self._rows = "", []
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table" and self._caption is not None:
            self.tables[self._caption] = self._rows

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self._caption = (self._caption or "") + data
        elif self._cell is not None:
            self._cell.append(data)


def rows(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in table[1:]}


def assert_secured(response: ClientResponse) -> None:
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


# -- access ----------------------------------------------------------------------------------------


async def test_without_a_token_or_sign_on_header_there_is_no_admin_page(open_admin: Opener) -> None:
    admin = await open_admin(admin_token=None)
    for path in ("/admin", "/admin/", "/admin/login", "/admin/waves/new"):
        assert (await admin.client.get(path, headers=BEARER)).status == 404
    assert (await admin.client.get("/healthz")).status == 200


def test_settings_refuse_a_short_token_and_a_header_without_users(redis_url: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 32 characters"):
        admin_settings(redis_url, tmp_path, admin_token="short")
    with pytest.raises(ValueError, match="CANDOR_ADMIN_SSO_USERS"):
        admin_settings(redis_url, tmp_path, admin_token=None, admin_sso_header=SSO_HEADER)


async def test_without_credentials_a_browser_is_sent_to_sign_in_and_a_script_gets_401(open_admin: Opener) -> None:
    admin = await open_admin()
    response = await admin.client.get("/admin/waves/new", headers=HTML, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/admin/login?next=/admin/waves/new"
    response = await admin.client.get("/admin/")
    assert response.status == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_secured(response)
    wrong = {"Authorization": "Bearer " + TOKEN[:-1] + "y"}
    assert (await admin.client.get("/admin/", headers=wrong)).status == 401
    assert (await admin.client.get("/admin/waves/x/export/csv", headers=wrong)).status == 401
    # A session cookie has to be one this deployment issued.
    admin.client.session.cookie_jar.update_cookies({"candor_admin": "1700000000.abc"})
    assert (await admin.client.get("/admin/")).status == 401
    assert (await admin.client.get("/admin", allow_redirects=False)).headers["Location"] == "/admin/"


async def test_a_bearer_token_opens_every_page(open_admin: Opener) -> None:
    admin = await open_admin()
    response = await admin.client.get("/admin/", headers=BEARER)
    assert response.status == 200 and "No waves yet" in await response.text()
    assert_secured(response)
    assert (await admin.client.get("/admin/waves/new", headers=BEARER)).status == 200
    css = await admin.client.get("/admin/static/admin.css")
    assert css.status == 200 and css.content_type == "text/css"


async def test_signing_in_with_the_token_sets_a_strict_http_only_cookie(open_admin: Opener) -> None:
    admin = await open_admin()
    page = await (await admin.client.get("/admin/login?next=/admin/waves/new")).text()
    assert 'type="password"' in page and 'for="token"' in page
    refused = await admin.client.post(
        "/admin/login", data={"token": "not-it", "csrf": csrf_of(page), "next": "/admin/waves/new"}
    )
    assert refused.status == 401 and "That token is not right" in await refused.text()
    response = await admin.client.post(
        "/admin/login",
        data={"token": TOKEN, "csrf": csrf_of(page), "next": "/admin/waves/new"},
        allow_redirects=False,
    )
    assert response.status == 303 and response.headers["Location"] == "/admin/waves/new"
    cookie = next(c for c in response.headers.getall("Set-Cookie") if c.startswith("candor_admin="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http here; see the https case below
    assert TOKEN not in cookie
    assert (await admin.client.get("/admin/")).status == 200
    # Signing out ends the session.
    page = await (await admin.client.get("/admin/")).text()
    await admin.client.post("/admin/logout", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert (await admin.client.get("/admin/")).status == 401
    # Behind a TLS-terminating proxy the cookie is Secure.
    page = await (await admin.client.get("/admin/login")).text()
    response = await admin.client.post(
        "/admin/login",
        data={"token": TOKEN, "csrf": csrf_of(page), "next": "https://elsewhere.example/"},
        headers={"X-Forwarded-Proto": "https"},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/admin/"  # never sent to another site
    assert "Secure" in next(c for c in response.headers.getall("Set-Cookie") if c.startswith("candor_admin="))


async def test_a_trusted_sign_on_header_lets_in_the_listed_people_only(open_admin: Opener) -> None:
    admin = await open_admin(
        admin_token=None, admin_sso_header=SSO_HEADER, admin_sso_users="ops@example.com, Lead@Example.com"
    )
    assert (await admin.client.get("/admin/", headers={SSO_HEADER: "ops@example.com"})).status == 200
    assert (await admin.client.get("/admin/", headers={SSO_HEADER: "lead@example.com"})).status == 200
    assert (await admin.client.get("/admin/", headers={SSO_HEADER: "intern@example.com"})).status == 401
    assert (await admin.client.get("/admin/", headers=BEARER)).status == 401  # no token is configured
    login = await (await admin.client.get("/admin/login")).text()
    assert 'type="password"' not in login and "sign-on proxy" in login


async def test_a_post_without_the_right_csrf_token_is_refused(open_admin: Opener) -> None:
    admin = await open_admin()
    await admin.store.create(spec("csrf-wave"))
    await admin.store.move("csrf-wave", "start")
    await sign_in(admin)
    for data in ({}, {"csrf": "forged"}):
        response = await admin.client.post("/admin/waves/csrf-wave/pause", data=data)
        assert response.status == 403
    assert await admin.store.state("csrf-wave") == WaveState.RUNNING
    # The sign-in form has its own token, tied to a cookie set with the form.
    response = await admin.client.post("/admin/login", data={"token": TOKEN, "csrf": "forged"})
    assert response.status == 403
    # An SSO user's forms are protected too: the proxy adds its header to forged requests as well.
    sso = await open_admin(admin_sso_header=SSO_HEADER, admin_sso_users="ops@example.com")
    await sso.store.create(spec("sso-wave"))
    who = {SSO_HEADER: "ops@example.com"}
    assert (await sso.client.post("/admin/waves/sso-wave/start", data={"csrf": "x"}, headers=who)).status == 403
    page = await (await sso.client.get("/admin/waves/sso-wave", headers=who)).text()
    response = await sso.client.post(
        "/admin/waves/sso-wave/start", data={"csrf": csrf_of(page)}, headers=who, allow_redirects=False
    )
    assert response.status == 303
    assert await sso.store.state("sso-wave") == WaveState.RUNNING


# -- pages -----------------------------------------------------------------------------------------


async def test_creating_a_wave_shows_pydantic_errors_by_their_fields_then_starts_it(open_admin: Opener) -> None:
    admin = await open_admin()
    await sign_in(admin)
    page = await (await admin.client.get("/admin/waves/new")).text()
    assert '<option value="ai-at-work"' in page
    form = {
        "csrf": csrf_of(page),
        "id": "Bad Id",
        "flow": "ai-at-work",
        "platform": "slack",
        "workspace": "T1",
        "participants": "U111\nU222\nsomeone@example.com",
        "opens_at": "2026-03-02T09:00",
        "closes_at": "2026-03-01T09:00",
        "timezone": "Europe/Berlin",
        "send_window": "25:00-26:00",
        "weekdays": "mon-fri",
        "reminders_count": "9",
        "reminders_every": "2d",
        "target_completes": "",
    }
    response = await admin.client.post("/admin/waves/new", data=form)
    text = await response.text()
    assert response.status == 400
    assert re.search(r'id="id-error">String should match pattern', text)
    assert 'id="send_window-error"' in text
    assert 'id="reminders_count-error">Input should be less than or equal to 5' in text
    assert 'id="id" name="id" aria-describedby="id-hint id-error" aria-invalid="true"' in text
    assert await admin.store.ids() == []
    form.update(id="spring-pulse", send_window="09:30-16:30", reminders_count="2", closes_at="2026-03-20T17:00")
    form["csrf"] = csrf_of(text)
    response = await admin.client.post("/admin/waves/new", data=form, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/admin/waves/spring-pulse?done=created"
    wave = await admin.store.get("spring-pulse")
    assert wave.state == WaveState.DRAFT
    assert wave.spec.participants.users == ("U111", "U222")
    assert wave.spec.participants.emails == ("someone@example.com",)
    assert wave.spec.opens_at.isoformat() == "2026-03-02T09:00:00+01:00" and wave.spec.reminders.count == 2
    # The same id again is refused at the id field.
    response = await admin.client.post("/admin/waves/new", data=form)
    assert response.status == 400 and "already exists" in await response.text()
    # Draft: start and cancel are offered, pause and resume are not.
    page = await (await admin.client.get("/admin/waves/spring-pulse")).text()
    assert "/spring-pulse/start" in page and "/spring-pulse/cancel" in page and "/spring-pulse/pause" not in page
    response = await admin.client.post("/admin/waves/spring-pulse/start", data={"csrf": csrf_of(page)})
    assert response.status == 200 and "Started." in await response.text()
    assert await admin.store.state("spring-pulse") == WaveState.RUNNING
    client = aioredis.from_url(admin.settings.redis_url or "")
    jobs = [key async for key in client.scan_iter(f"saq:{admin.settings.redis_prefix}:jobs:*")]
    await client.aclose()
    assert jobs, "starting a wave enqueues its planning job"
    page = await (await admin.client.get("/admin/waves/spring-pulse")).text()
    assert "/spring-pulse/pause" in page and "/spring-pulse/start" not in page
    # Resuming a running wave is refused with the store's own words.
    response = await admin.client.post("/admin/waves/spring-pulse/resume", data={"csrf": csrf_of(page)})
    assert response.status == 409 and "resume works on a wave that is paused" in await response.text()
    response = await admin.client.post("/admin/waves/spring-pulse/cancel", data={"csrf": csrf_of(page)})
    assert response.status == 400 and await admin.store.state("spring-pulse") == WaveState.RUNNING
    data = {"csrf": csrf_of(page), "confirm": "yes"}
    await admin.client.post("/admin/waves/spring-pulse/cancel", data=data)
    assert await admin.store.state("spring-pulse") == WaveState.CANCELLED
    assert (await admin.client.get("/admin/waves/nothing-here")).status == 404


async def test_the_list_shows_progress_against_the_target_or_the_invited(open_admin: Opener) -> None:
    admin = await open_admin()
    await admin.store.create(spec("with-target", target_completes=40))
    await admin.store.create(spec("no-target"))
    for wave_id in ("with-target", "no-target"):
        keys = await add_people(admin.store, wave_id, "all", 20)
        await advance(admin.store, wave_id, keys[:10], "completed")
        await advance(admin.store, wave_id, keys[10:15], "invited")
    page = await (await admin.client.get("/admin/", headers=BEARER)).text()
    assert "10 of 40 target completes (25%)" in page
    assert '<progress id="progress-with-target" max="40" value="10"' in page
    assert "10 of 15 invited completed (67%)" in page


async def test_breakdowns_hide_small_groups_while_totals_show(open_admin: Opener) -> None:
    admin = await open_admin()
    await admin.store.create(spec("small-groups"))
    large = await add_people(admin.store, "small-groups", "engineering", 14)
    middle = await add_people(admin.store, "small-groups", "sales", 9)
    small = await add_people(admin.store, "small-groups", "legal", 3)
    await advance(admin.store, "small-groups", large[:12], "completed", day=0)
    await advance(admin.store, "small-groups", middle[:7], "completed", day=1)
    await advance(admin.store, "small-groups", small[:2], "completed", day=2)
    await advance(admin.store, "small-groups", small[2:], "declined")
    text = await (await admin.client.get("/admin/waves/small-groups", headers=BEARER)).text()
    tables = Tables(text).tables
    funnel = rows(tables["Funnel: people at each stage"])
    assert funnel["Completed"] == ["21"] and funnel["Eligible"] == ["26"] and funnel["Declined"] == ["1"]
    strata = rows(tables["Funnel by stratum"])
    head = tables["Funnel by stratum"][0]
    completed, declined = head.index("Completed") - 1, head.index("Declined") - 1
    assert strata["engineering"][completed] == "12"
    assert strata["legal"][completed] == "fewer than 5"
    # With legal hidden, sales would be 21 - 12 - 2 = 7 by subtraction: it is withheld too.
    assert strata["sales"][completed] == "withheld"
    assert strata["legal"][declined] == strata["sales"][declined] == strata["engineering"][declined] == "fewer than 5"
    assert strata["legal"][0] == "fewer than 5"  # eligible: 3 people
    days = rows(tables["Completed interviews per day (UTC)"])
    assert days == {"2026-03-02": ["12"], "2026-03-03": ["withheld"], "2026-03-04": ["fewer than 5"]}
    day_chart = text.split('id="days-h"')[1].split("</svg>")[0]
    assert "2026-03-04: fewer than 5" in day_chart and ">2<" not in day_chart and ">7<" not in day_chart
    # Never a list of who answered: no member key or user id appears anywhere.
    for key in [*large, *middle, *small]:
        assert key not in text


def test_protection_hides_below_the_minimum_and_one_more_when_one_alone_is_hidden() -> None:
    cells = protect({"a": 10, "b": 2, "c": 6, "d": 8}, 5)
    assert {k: c.shown for k, c in cells.items()} == {"a": "yes", "b": "small", "c": "withheld", "d": "yes"}
    cells = protect({"a": 10, "b": 2, "c": 1}, 5)
    assert [c.shown for c in cells.values()] == ["yes", "small", "small"]
    assert protect({"only": 3}, 5)["only"].text(5) == "fewer than 5"
    assert protect({"a": 3, "b": 9}, 3)["a"].shown == "yes"


async def test_the_minimum_group_size_is_a_setting(open_admin: Opener) -> None:
    admin = await open_admin(admin_min_group=2)
    await admin.store.create(spec("min-two"))
    keys = await add_people(admin.store, "min-two", "one", 3)
    await advance(admin.store, "min-two", keys, "completed")
    text = await (await admin.client.get("/admin/waves/min-two", headers=BEARER)).text()
    assert rows(Tables(text).tables["Funnel by stratum"])["one"][0] == "3"
    assert "20 min" in text  # the median shows once there are 2 completes


async def test_exports_download_the_waves_transcripts(open_admin: Opener) -> None:
    admin = await open_admin()
    data_dir = admin.settings.data_dir
    await admin.store.create(spec("export-wave"))
    await deliver_transcript(data_dir, "export-wave", "ai-0001", "I draft release notes with it.")
    await deliver_transcript(data_dir, "another-wave", "ai-0002", "Not this one.")
    await sign_in(admin)
    response = await admin.client.get("/admin/waves/export-wave/export/csv")
    assert response.status == 200 and response.content_type == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="export-wave.csv"'
    table = list(csv.DictReader(io.StringIO(await response.text())))
    assert [row["transcript_id"] for row in table] == ["ai-0001"]
    assert "I draft release notes with it." in table[0]["text"]
    response = await admin.client.get("/admin/waves/export-wave/export/jsonl")
    assert response.headers["Content-Disposition"] == 'attachment; filename="export-wave.jsonl"'
    documents = [json.loads(line) for line in (await response.text()).splitlines()]
    assert [d["wave"] for d in documents] == ["export-wave"]
    response = await admin.client.get("/admin/waves/export-wave/export/dataset")
    assert response.headers["Content-Disposition"] == 'attachment; filename="export-wave-dataset.csv"'
    assert (await response.text()).startswith("transcript_id,text")
    assert (await admin.client.get("/admin/waves/missing-wave/export/csv")).status == 404
    assert (await admin.client.get("/admin/waves/export-wave/export/xml")).status == 404


async def test_an_export_without_the_file_sinks_folder_explains_itself(open_admin: Opener) -> None:
    admin = await open_admin()  # nothing delivered yet: no transcripts folder
    await admin.store.create(spec("no-files"))
    response = await admin.client.get("/admin/waves/no-files/export/csv", headers=BEARER)
    assert response.status == 409 and "CANDOR_SINKS" in await response.text()  # the ConfigError's own words
