"""Headless Chromium for the browser tests (pytest -m browser).

Debian's chromium and chromium-driver, driven by selenium (the `browser` extra).
A missing piece fails the test with the command that installs it: a browser
test that is skipped has not passed.
"""
from __future__ import annotations

import shutil

import pytest

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run")


@pytest.fixture
def browser_page(tmp_path):
    """A fresh headless Chromium (own profile folder); quit after the test."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: pip install -e '.[browser]'")
    if not shutil.which("chromium") or not shutil.which(CHROMEDRIVER):
        pytest.fail("Chromium is missing: apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=1280,2400")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
