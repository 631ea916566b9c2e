"""Screenshots of the main view, a detail page and the lists page at 1280 px and 390 px.

    make run                                  # in one terminal: the demo data, served
    .venv/bin/python scripts/screenshots.py   # in another: docs/screenshots/*.png

Logs in through the real login form (the demo login that ``make run`` prints; ``--user`` and
``--password`` for another), opens each page in Chromium (the system's, as the browser tests
do) and saves what a screen of that width shows, not the whole page: the files are committed,
so they stay small (with ``pngquant`` installed, ``apt-get install pngquant``, a third of the
size). The detail page is the most valuable customer's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# (name, width, height): a laptop, and a phone in portrait.
SCREENS = (("desktop", 1280, 800), ("phone", 390, 844))


def log_in(page: Page, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/customers/**")


def pages(page: Page, base: str) -> dict[str, str]:
    """The pages to shoot, by file name: the detail page of the top earner."""
    page.goto(f"{base}/customers/?sort=-earnings&per_page=10")
    detail = page.locator("a.member").first.get_attribute("href")
    return {"main-view": "/customers/", "detail": detail, "lists": "/lists/"}


def shrink(path: Path) -> None:
    """256 colours instead of millions: flat UI colours survive, the file is a third."""
    if shutil.which("pngquant"):
        subprocess.run(
            ["pngquant", "--force", "--skip-if-larger", "--output", str(path), str(path)],
            check=False,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="demo")
    parser.add_argument("--password", default="demo-customers-2024")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        for _name, width, height in SCREENS:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            log_in(page, args.base_url, args.user, args.password)
            for name, path in pages(page, args.base_url).items():
                page.goto(args.base_url + path)
                target = OUT / f"{name}-{width}.png"
                page.screenshot(path=target)
                shrink(target)
                print(f"{target.relative_to(ROOT)}  ({target.stat().st_size // 1024} KB)")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
