"""Headless Chromium for the browser tests, driven by Playwright's sync API.

Playwright cannot download its own browsers here, so the system Chromium is used.
"""

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch_chromium(playwright):
    """Start the system Chromium headless; the caller closes it."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


class ConsoleErrors(list):
    """Console messages of type "error" and uncaught page errors, as text."""

    def watch(self, page):
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.append(f"uncaught: {error}"))
        return self

    def _on_console(self, message):
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        self.append(f"{message.text} ({url})" if url else message.text)

    @property
    def csp_violations(self):
        return [text for text in self if "Content Security Policy" in text]
