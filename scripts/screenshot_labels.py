"""Screenshots of the Label map tab for the README and the issue: a facade painted in the app, at desktop
width, on a phone (390x844) and in dark mode.

    python scripts/screenshot_labels.py        # docs/app_labels.png, docs/app_labels_phone.png, docs/app_labels_dark.png

Starts `python app.py` on the shipped weights and drives it in headless Chromium (Debian's chromium,
through Playwright) with the browser tests' own helpers (scripts/browser.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app_process import start_app, stop_app
from browser import CHROMIUM, LAUNCH_ARGS, open_canvas, settle, stroke

ROOT = Path(__file__).resolve().parents[1]
# (url suffix, viewport width, height, file name)
SHOTS = [("", 1300, 1100, "app_labels.png"), ("", 390, 844, "app_labels_phone.png"), ("/?__theme=dark", 1300, 1100, "app_labels_dark.png")]
WINDOWS = [(0.3, 0.45), (0.7, 0.45)]  # two windows painted over the example


def paint(page) -> None:
    """An example facade, two windows painted over it with the brush."""
    page.locator("#live-labels [data-example]:not([hidden])").first.click()
    settle(page)
    page.locator("#live-labels [data-palette-of]:not([hidden]) [data-class]").nth(2).click()
    for x, y in WINDOWS:
        stroke(page, [(x, y), (x + 0.06, y)], moves=6, canvas="labels")
    settle(page)
    page.wait_for_timeout(1000)  # settle sees the last result arrive; give the browser time to paint it


def main() -> int:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = p.parse_args()
    proc, url = start_app(ROOT / "weights")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for suffix, width, height, name in SHOTS:
                page = open_canvas(browser, url + suffix, width=width, height=height, canvas="labels")
                paint(page)
                if width < 700:  # a phone: the palette, the canvas and the result, on one screen
                    page.locator("#live-labels .live-palette").evaluate("p => p.scrollIntoView({block: 'start'})")
                page.screenshot(path=str(args.out / name))
                print(f"wrote {args.out / name}")
                page.close()
            browser.close()
    finally:
        stop_app(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
