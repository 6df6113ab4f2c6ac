"""Headless Chromium for the browser tests: Debian's ``chromium`` driven by its ``chromedriver``.

One browser serves every browser test of a run (a session-scoped fixture): starting Chromium
costs about a second, a fresh profile per test would cost it every time. Tests clear cookies
instead. JavaScript is switched off in this browser, so every page under test must work as
plain HTML forms. Under ``CI=true`` a missing browser fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CANDIDATES = {
    "chromium": ("/usr/bin/chromium", "/usr/bin/chromium-browser"),
    "chromedriver": ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"),
}
WINDOW = (1280, 900)  # a laptop screen


def _find(name: str) -> str | None:
    found = shutil.which(name)
    return found or next((p for p in CANDIDATES[name] if Path(p).exists()), None)


def _missing(what: str) -> None:
    message = f"{what} is not installed (Debian: apt-get install chromium chromium-driver)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def start_chromium(profile: Path) -> Iterator[object]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium")
        raise
    browser, driver = _find("chromium"), _find("chromedriver")
    if browser is None or driver is None:
        _missing("chromium" if browser is None else "chromedriver")
        raise AssertionError("unreachable")
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: never download anything
    options = Options()
    options.binary_location = browser
    for arg in (
        "--headless",
        "--no-sandbox",  # we run as root in CI
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2}
    )
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()
