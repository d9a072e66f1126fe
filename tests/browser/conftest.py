"""A real headless Chromium for the `browser` tests (opt in: pytest -m browser).

Chromium and its driver come from Debian (apt-get install chromium chromium-driver);
selenium (the 'browser' extra) drives them through /usr/bin/chromedriver, so no
driver is downloaded. Every test gets a fresh profile and no network services.
A missing piece fails the test with the command that installs it: a browser test
that is skipped has not passed.

`browser_page` gives a small page object:
    page.open(path)            load a local file (Path or str) as a file:// URL
    page.click(css)            click the first element matching a CSS selector
    page.query(css)            every element matching (selenium WebElements)
    page.text(css)             the visible text of the first match
    page.visible(css)          whether the first match is displayed
    page.screenshot(name)      save a PNG into the test's tmp folder; returns its path
Any other attribute is the selenium driver's own (get, find_elements, execute_script...).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage", "--window-size=1400,1000")


class BrowserPage:
    def __init__(self, driver, folder: Path):
        self.driver = driver
        self.folder = folder

    def __getattr__(self, name: str):
        return getattr(self.driver, name)

    def open(self, path) -> None:
        self.driver.get(Path(path).resolve().as_uri())

    def query(self, css: str) -> list:
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def _first(self, css: str):
        found = self.query(css)
        assert found, f"no element matches {css!r}"
        return found[0]

    def click(self, css: str) -> None:
        self._first(css).click()

    def text(self, css: str) -> str:
        return self._first(css).text

    def visible(self, css: str) -> bool:
        return self._first(css).is_displayed()

    def screenshot(self, name: str) -> Path:
        path = self.folder / (name if name.endswith(".png") else f"{name}.png")
        assert self.driver.save_screenshot(str(path)), f"screenshot {path} was not written"
        print(f"screenshot: {path}")
        return path


@pytest.fixture
def browser_page(tmp_path):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: pip install -e '.[test,browser]'", pytrace=False)
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Chromium is missing: apt-get install -y chromium chromium-driver", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path / "chromium-profile"
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield BrowserPage(driver, tmp_path)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
