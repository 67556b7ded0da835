"""Screenshot of the report page for the README (docs/report.png).

    .venv/bin/python -m pipeline run --outputs /tmp/docs-out
    .venv/bin/python tools/screenshot_report.py /tmp/docs-out/report/index.html docs/report.png [TERM]

Uses Playwright with the system Chromium (/usr/bin/chromium); downloads no browser.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


def main(page_path: str, png: str, term: str = "四基", width: int = 1280, height: int = 760) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(Path(page_path).resolve().as_uri())
        page.wait_for_timeout(2500)  # let the layout settle
        if term:  # select a concept, then its strongest edge: the panel shows that edge's evidence
            page.fill("#search", term)
            page.press("#search", "Enter")
            page.wait_for_timeout(1000)
            page.click("#details button:text('evidence')")
            page.wait_for_timeout(1000)
        page.screenshot(path=png)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
