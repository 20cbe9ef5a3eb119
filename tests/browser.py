"""Real headless Chromium (Debian's, through Playwright) for the pages customers see.

`visit` opens a page in a fresh context, records console errors, uncaught errors and dialogs,
and saves a full-page screenshot to test-artifacts/ when it is done, failed or not.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def launch(playwright):
    """Chromium's sandbox needs user namespaces, which a root CI container does not have."""
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)


@dataclass
class Visit:
    page: object
    status: int | None
    headers: dict[str, str]
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def text(self) -> str:
        return self.page.inner_text("body")

    def width(self) -> int:
        """How wide the document is: wider than the viewport means horizontal scrolling."""
        return self.page.evaluate("document.documentElement.scrollWidth")


@contextmanager
def visit(browser, url: str, screenshot: str, *, javascript: bool = True, viewport=PHONE,
          setup=None):
    """`setup(context)` runs before the page opens (the admin tests route Shopify's CDN)."""
    context = browser.new_context(java_script_enabled=javascript, viewport=viewport)
    if setup is not None:
        setup(context)
    page = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        response = page.goto(url, wait_until="load")
        yield Visit(page, response.status if response else None,
                    response.headers if response else {}, errors, dialogs)
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{screenshot}.png"), full_page=True)
        context.close()
