"""Headless Chromium for the page tests (Debian's chromium + chromedriver, driven by Selenium), launched one way.

The dashboard, workspace and owner-page tests differ only in window, language and phone emulation; the
binary check, the flags that keep Chromium quiet and offline, and the throwaway profile live here.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
QUIET = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")


@contextmanager
def chromium(*args: str, experimental: dict[str, Any] | None = None) -> Iterator[WebDriver]:
    """A fresh headless Chromium with ``args`` added to the quiet flags; quit and its profile removed after."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(f"{CHROMIUM} or {CHROMEDRIVER} is missing: run scripts/install-browser.sh (installs Debian's "
                    "chromium and chromium-driver)")
    profile = tempfile.mkdtemp(prefix="kefu-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (*QUIET, *args, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    for name, value in (experimental or {}).items():
        options.add_experimental_option(name, value)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
