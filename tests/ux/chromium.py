"""A headless Chromium at 1280 px for the pages staff read (selenium and chromedriver, as tests/service uses)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
WIDTH = 1280


@contextmanager
def chromium(width: int = WIDTH, height: int = 900) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium (the 'dev' extra) is needed")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Chromium and chromedriver are needed: apt-get install chromium chromium-driver")
    profile = tempfile.mkdtemp(prefix="autograder-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--window-size={width},{height}",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def page_width(driver: Any, page: Path) -> tuple[int, int]:
    """``(document scrollWidth, viewport width)`` of ``page`` as Chromium lays it out."""
    driver.get(page.resolve().as_uri())
    return driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
