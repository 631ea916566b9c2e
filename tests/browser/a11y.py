from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page


def assert_accessible(page: Page) -> None:
    """axe-core (bundled, offline) finds no WCAG violation on the page as it is now."""
    results = Axe().run(page)
    if results.violations_count:
        print(results.generate_report())
    assert results.violations_count == 0, f"axe violations on {page.url}"
