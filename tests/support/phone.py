"""A phone in headless Chromium (Debian's chromium + chromedriver, driven by Selenium): 390×844 CSS pixels.

The owner's pages are opened from messages on phones, so their tests look at them the way an owner
does: a 390×844 viewport with touch and a phone's user agent, Chinese as the browser's language
unless a test asks for another. ``KEFU_OWNER_SCREENSHOTS=docs`` makes the tests save their
screenshots there (that is how docs/owner-*.png are made).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.remote.webdriver import WebDriver

from .chromium import chromium

WIDTH, HEIGHT = 390, 844
WAIT_S = 30
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36")


@contextmanager
def phone(language: str = "zh-CN,zh") -> Iterator[WebDriver]:
    with chromium(f"--lang={language.split(',')[0]}", experimental={
        "prefs": {"intl.accept_languages": language},
        "mobileEmulation": {"deviceMetrics": {"width": WIDTH, "height": HEIGHT, "pixelRatio": 2, "touch": True},
                            "userAgent": PHONE_UA}}) as driver:
        yield driver

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
