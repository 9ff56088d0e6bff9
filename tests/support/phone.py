"""A phone in headless Chromium (Debian's chromium + chromedriver, driven by Selenium): 390×844 CSS pixels.

The owner's pages are opened from messages on phones, so their tests look at them the way an owner
does: a 390×844 viewport with touch and a phone's user agent, Chinese as the browser's language
unless a test asks for another. ``KEFU_OWNER_SCREENSHOTS=docs`` makes the tests save their
screenshots there (that is how docs/owner-*.png are made).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDTH, HEIGHT = 390, 844
WAIT_S = 30
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36")


@contextmanager
def phone(language: str = "zh-CN,zh") -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(f"{CHROMIUM} or {CHROMEDRIVER} is missing: run scripts/install-browser.sh (installs Debian's "
                    "chromium and chromium-driver)")
    profile = tempfile.mkdtemp(prefix="kefu-phone-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--lang={language.split(',')[0]}", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": WIDTH, "height": HEIGHT, "pixelRatio": 2, "touch": True}, "userAgent": PHONE_UA})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def viewport(driver: WebDriver) -> tuple[int, int]:
    return tuple(driver.execute_script("return [window.innerWidth, window.innerHeight]"))  # type: ignore[return-value]


def fits_the_width(driver: WebDriver) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling on the phone)."""
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


async def until(driver: WebDriver, condition: Callable[[WebDriver], object], what: str) -> None:
    """Wait for a page condition without blocking the event loop (services and Kafka work meanwhile)."""
    def holds(d: WebDriver) -> bool:
        try:
            return bool(condition(d))
        except StaleElementReferenceException:
            return False

    for _ in range(WAIT_S * 5):
        if await asyncio.to_thread(holds, driver):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what}: not on the page after {WAIT_S}s")


def screenshot(driver: WebDriver, name: str) -> None:
    """Save ``name`` (e.g. owner-survey.png) into ``$KEFU_OWNER_SCREENSHOTS`` when set."""
    folder = os.environ.get("KEFU_OWNER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / name))
