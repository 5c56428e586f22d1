"""The admin page as research ops use it: Debian's headless Chromium, driven by Playwright, against ``candor serve``.

The server is the real one (``open_service`` and ``start_server`` on a free port); progress comes from the
wave store's own paths. ``UPDATE_SCREENSHOTS=1`` also writes the README's picture, docs/admin.png.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from adapters.server import start_server
from adapters.service import open_service
from tests.admin_harness import TOKEN, add_people, admin_settings, advance, deliver_transcript, drop_keys, wave_store
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"the admin page's browser test needs Debian's Chromium at {CHROMIUM}: "
            "run `apt-get install -y chromium` as root (.ci/run does this on a clean machine)"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def no_sideways_scroll(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{page.url} is {width}px wide at a 320px viewport"


async def test_research_ops_run_a_wave_from_the_admin_page(browser: Browser, redis_url: str, tmp_path: Path) -> None:
    settings = admin_settings(redis_url, tmp_path / "data")
    service = await open_service(settings, None)
    server = await start_server(service.web_app, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.port}"
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    try:
        page = await context.new_page()

        # Without the token: the sign-in page, a wrong token is refused, and scripts get a 401.
        await page.goto(f"{base}/admin/")
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        assert (await context.request.get(f"{base}/admin/waves/x/export/csv")).status == 401
        await page.get_by_label("Admin token").fill("not-the-token-" + "z" * 30)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_have_text("That token is not right.")
        await page.get_by_label("Admin token").fill(TOKEN)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", name="Interview waves")).to_be_visible()
        await expect(page.get_by_text("No waves yet")).to_be_visible()

        # Create a wave from the form: a mistake first, shown next to its field.
        await page.get_by_role("link", name="New wave").first.click()
        await page.get_by_label("Wave id").fill("Spring Pulse")
        await page.get_by_label("Interview flow").select_option("ai-at-work")
        await page.get_by_label("Workspace").fill("T0123")
        await page.get_by_label("Participants").fill("U0001\nU0002\nsam@example.com")
        await page.get_by_label("Opens").fill("2026-03-02T09:00")
        await page.get_by_label("Closes").fill("2026-03-27T17:00")
        await page.get_by_label("Time zone").fill("Europe/Berlin")
        await page.get_by_label("Target completes").fill("30")
        await page.get_by_role("button", name="Create draft wave").click()
        await expect(page.locator("#id-error")).to_contain_text("String should match pattern")
        await expect(page.get_by_label("Wave id")).to_have_attribute("aria-invalid", "true")
        await page.get_by_label("Wave id").fill("spring-pulse")
        await page.get_by_role("button", name="Create draft wave").click()
        await expect(page.get_by_role("status")).to_have_text("Created.")
        await expect(page.locator("h1 .state")).to_have_text("draft")
        await page.get_by_role("button", name="Start wave").click()
        await expect(page.get_by_role("status")).to_have_text("Started.")

        # Listed, with its progress; it moves when member records change.
        await page.get_by_role("navigation", name="Admin").get_by_role("link", name="Waves").click()
        await expect(page.get_by_role("link", name="spring-pulse")).to_be_visible()
        await expect(page.locator("#progress-spring-pulse-text")).to_have_text("0 of 30 target completes (0%)")
        store = wave_store(service)
        engineering = await add_people(store, "spring-pulse", "engineering", 24)
        sales = await add_people(store, "spring-pulse", "sales", 14)
        legal = await add_people(store, "spring-pulse", "legal", 3)
        for day, (start, end) in enumerate([(0, 7), (7, 12), (12, 14), (14, 20)]):
            await advance(store, "spring-pulse", engineering[start:end], "completed", day=day)
        await advance(store, "spring-pulse", engineering[20:22], "consent_pending", day=3)
        await advance(store, "spring-pulse", engineering[22:23], "in_progress", day=3)
        await advance(store, "spring-pulse", engineering[23:], "declined", day=3)
        await advance(store, "spring-pulse", sales[:5], "completed", day=1)
        await advance(store, "spring-pulse", sales[5:6], "completed", day=2)
        await advance(store, "spring-pulse", sales[6:11], "invited", day=2)
        await advance(store, "spring-pulse", sales[11:], "expired", day=3)
        await advance(store, "spring-pulse", legal[:1], "completed", day=1)
        await advance(store, "spring-pulse", legal[1:], "invited", day=1)
        await page.reload()
        await expect(page.locator("#progress-spring-pulse-text")).to_have_text("27 of 30 target completes (90%)")
        await expect(page.locator("#progress-spring-pulse")).to_have_attribute("value", "27")

        # The wave's page: funnel in numbers, a small stratum hidden, pause.
        await page.get_by_role("link", name="spring-pulse").click()
        funnel = page.get_by_role("table", name="Funnel: people at each stage")
        await expect(funnel.get_by_role("row", name="Completed 27")).to_be_visible()
        strata = page.get_by_role("table", name="Funnel by stratum")
        await expect(strata.get_by_role("row", name="legal")).to_contain_text("fewer than 5")
        days = page.get_by_role("table", name="Completed interviews per day (UTC)")
        await expect(days.get_by_role("row", name="2026-03-04")).to_contain_text("fewer than 5")
        await expect(page.get_by_role("img", name="Funnel")).to_be_visible()
        await deliver_transcript(settings.data_dir, "spring-pulse", "ai-0042", "I summarise long threads with it.")
        if os.environ.get("UPDATE_SCREENSHOTS"):
            shot = tmp_path / "admin.png"
            await page.screenshot(path=str(shot), full_page=True)
            shutil.copy(shot, ROOT / "docs" / "admin.png")
        await page.get_by_role("button", name="Pause wave").click()
        await expect(page.get_by_role("status")).to_have_text("Paused.")
        await expect(page.get_by_role("button", name="Resume wave")).to_be_visible()
        await expect(page.get_by_role("button", name="Pause wave")).to_have_count(0)

        # The export downloads as a file.
        async with page.expect_download() as info:
            await page.get_by_role("link", name="CSV (metadata and text)").click()
        download = await info.value
        assert download.suggested_filename == "spring-pulse.csv"
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
        exported = saved.read_text(encoding="utf-8")
        assert exported.startswith("transcript_id,flow_id") and "ai-0042" in exported
        assert "I summarise long threads with it." in exported

        # Usable on a phone: nothing scrolls sideways at 320px but the wide table, inside its own box.
        await page.set_viewport_size({"width": 320, "height": 700})
        for path in ("/admin/", "/admin/waves/spring-pulse", "/admin/waves/new"):
            await page.goto(base + path)
            await no_sideways_scroll(page)

        # Signing out: the pages are closed again.
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.goto(f"{base}/admin/waves/spring-pulse")
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    finally:
        await context.close()
        await server.close()
        await drop_keys(redis_url, settings.redis_prefix)
        await service.close()
