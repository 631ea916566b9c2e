from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page


def assert_accessible(page: Page) -> None:
    """axe-core (bundled, offline) finds no WCAG violation on the page as it is now."""
    results = Axe().run(page)
    if results.violations_count:
        print(results.generate_report())
    assert results.violations_count == 0, f"axe violations on {page.url}"


def tab_to(page: Page, target: Locator, presses: int = 150) -> None:
    """Press Tab until ``target`` has focus, failing if it takes more than ``presses``."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{target} is not reachable with Tab")
