"""The report as research ops open it: from disk, in Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.async_api import Browser, async_playwright

from adapters.cli import main
from tests.analysis_corpus import synthetic_set, write_folder
from tests.conftest import ROOT
from tests.test_admin_browser import CHROMIUM, CHROMIUM_ARGS
from tests.test_analysis_claude import write_codebook


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"the report's browser test needs Debian's Chromium at {CHROMIUM}: run `apt-get install -y chromium`"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


def ink(png: bytes) -> tuple[float, bool]:
    """Share of clearly dark pixels, and whether every pixel is a grey (the charts promise grey scale)."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16).reshape(-1, 3)
    dark = float((pixels.mean(axis=1) < 160).mean())
    grey = bool(((pixels.max(axis=1) - pixels.min(axis=1)) <= 12).all())
    return dark, grey


async def test_the_report_opens_from_disk_with_every_chart_drawn(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("CANDOR_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "transcripts"
    write_folder(synthetic_set(200, seed=8), source)
    out = tmp_path / "out"
    args = ["analyze", str(source), "--out", str(out), "--method", "tfidf"]
    assert main([*args, "--codebook", str(write_codebook(tmp_path / "codebook.csv"))]) == 0

    context = await browser.new_context(viewport={"width": 1100, "height": 900}, offline=True)
    page = await context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    await page.goto((out / "report.html").as_uri())
    assert await page.title() == "Findings: ai-at-work"
    images = page.locator("img")
    count = await images.count()
    # participation, across the interview, one per question with themes, saturation, codes
    assert count >= 5
    for index in range(count):
        image = images.nth(index)
        assert await image.evaluate("i => i.complete && i.naturalWidth > 200"), f"chart {index} did not load"
        alt = await image.get_attribute("alt") or ""
        assert len(alt) > 30, f"chart {index} has no useful alt text: {alt!r}"
        dark, grey = ink(await image.screenshot())
        assert dark > 0.01, f"chart {index} looks empty"
        assert grey, f"chart {index} uses colour"
    saturation = page.locator("img[alt^='Saturation curve']")
    assert await saturation.count() == 1
    headings = await page.locator("h2").all_inner_texts()
    assert headings[:2] == ["Participation", "Themes across the interview"] and "Saturation" in headings
    assert failed == []
    links = page.locator("blockquote a")
    assert await links.count() >= 20
    href = await links.first.get_attribute("href") or ""
    assert (out / href).resolve().is_file(), "a quote links to its delivered transcript"
    await page.screenshot(path=str(out / "report.png"), full_page=True)
    assert (out / "report.png").stat().st_size > 50_000
    if os.environ.get("UPDATE_SCREENSHOTS"):
        await page.set_viewport_size({"width": 1000, "height": 1500})
        await page.locator("h2", has_text="Themes per question").scroll_into_view_if_needed()
        await page.screenshot(path=str(ROOT / "docs" / "analysis.png"))
    await context.close()
