"""Browser tests: Playwright's sync API driving Debian's Chromium (never a downloaded browser).

The tests are skipped, with the reason, where /usr/bin/chromium is missing, unless
QOLDAU_REQUIRE_BROWSER=1 (CI sets it), where a missing browser fails the run instead.
Set QOLDAU_SCREENSHOT_DIR to keep the screenshots the tests take (otherwise they go to a
temporary folder).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

# Playwright's sync API runs an event loop in this thread; Django would then refuse database
# access from the test body (the live server runs in its own thread and is unaffected).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests"
        if os.environ.get("QOLDAU_REQUIRE_BROWSER") == "1":
            pytest.fail(f"QOLDAU_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) at a laptop's screen size."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Page, str], Path]:
    folder = Path(os.environ.get("QOLDAU_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
