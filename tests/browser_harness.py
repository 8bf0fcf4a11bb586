"""Open a page in real headless Chromium and report what a person would see: errors, charts, pixels.

Chromium is Debian's ``chromium`` package (``make test`` installs it through ``make browser``), driven
by the ``playwright`` package pointed at that binary: Playwright never downloads a browser here.

Usage from a test::

    with Chromium.launch() as browser:
        page = browser.check(path.as_uri(), tmp_path / "page.png")
    assert page.errors == []
    assert all(box.width and box.height for box in page.charts)
    assert not any(page.blank(box) for box in page.charts)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# what the report draws charts with: inline SVG (pipeline/reports/charts.py), and images or canvases
CHARTS = "svg[role=img], img, canvas"
_BOXES = """sel => [...document.querySelectorAll(sel)].map(e => {
    const r = e.getBoundingClientRect();
    const title = e.closest('div, section, details')?.querySelector('h2, h3')?.textContent || '';
    return {tag: e.tagName.toLowerCase(), title: title.trim(), x: r.left + window.scrollX,
            y: r.top + window.scrollY, width: r.width, height: r.height};
})"""


def find_chromium() -> str | None:
    """The Chromium binary on PATH (Debian names it ``chromium``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass(frozen=True)
class Box:
    """A chart's rendered box in page coordinates (CSS pixels, the screenshot's pixels at scale 1)."""

    tag: str
    title: str
    x: float
    y: float
    width: float
    height: float


@dataclass
class PageCheck:
    """What loading one page showed: every error it raised, its charts, and a full-page screenshot."""

    url: str
    screenshot: Path
    errors: list[str] = field(default_factory=list)
    charts: list[Box] = field(default_factory=list)

    def colours(self, box: Box) -> int:
        """How many distinct colours the screenshot has inside ``box`` (1 means blank)."""
        from PIL import Image

        with Image.open(self.screenshot) as image:
            region = image.convert("RGB").crop(
                (int(box.x), int(box.y), int(box.x + box.width), int(box.y + box.height))
            )
            colours = region.getcolors(maxcolors=region.width * region.height or 1)
        return len(colours or [])

    def blank(self, box: Box) -> bool:
        return self.colours(box) <= 1


class Chromium:
    """One headless Chromium for several pages."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    @classmethod
    @contextmanager
    def launch(cls, executable: str | None = None) -> Iterator[Chromium]:
        from playwright.sync_api import sync_playwright

        path = executable or find_chromium()
        if path is None:
            raise FileNotFoundError("chromium is not installed (make browser installs Debian's package)")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, headless=True)
            try:
                yield cls(browser)
            finally:
                browser.close()

    def check(self, url: str, screenshot: Path, *, width: int = 1280) -> PageCheck:
        """Load ``url``, collect console errors, uncaught exceptions and failed loads, measure the charts
        and take a full-page screenshot into ``screenshot``."""
        result = PageCheck(url=url, screenshot=screenshot)
        page = self._browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
        try:
            page.on(
                "console",
                lambda m: (
                    result.errors.append(f"console.{m.type}: {m.text}")
                    if m.type in ("error", "assert")
                    else None
                ),
            )
            page.on("pageerror", lambda e: result.errors.append(f"uncaught exception: {e}"))
            page.on("requestfailed", lambda r: result.errors.append(f"failed to load {r.url}: {r.failure}"))
            page.goto(url, wait_until="load")
            page.wait_for_load_state("networkidle")
            result.charts = [Box(**b) for b in page.evaluate(_BOXES, CHARTS)]
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            page.close()
        return result
