"""The README's screenshots of the Draw tab: a shoe drawn in the app and the shipped model's shoe, at desktop
width and on a phone (390x844), then red dabs of the colour pen on it.

    python scripts/screenshot_hints.py         # docs/app.png, docs/app_phone.png, docs/app_hints.png

Starts `python app.py` on the shipped weights and drives it in headless Chromium
(Debian's chromium, through Playwright) with the browser tests' own helpers (scripts/browser.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app_process import start_app, stop_app
from model.hints import HINT_COLOURS
from browser import CHROMIUM, LAUNCH_ARGS, SHOE, open_canvas, settle, stroke

ROOT = Path(__file__).resolve().parents[1]

LACE = [(0.3, 0.5), (0.4, 0.5)]
RED_DABS = [(0.26, 0.55), (0.46, 0.53), (0.36, 0.62), (0.6, 0.6), (0.8, 0.63)]


def main() -> int:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = p.parse_args()
    proc, url = start_app(ROOT / "weights")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            phone = open_canvas(browser, url, width=390, height=844)
            draw_shoe(phone)
            phone.locator("#sketch canvas").evaluate("c => c.scrollIntoView({block: 'start'})")  # canvas and shoe on one screen
            shoot(phone, args.out / "app_phone.png")
            page = open_canvas(browser, url)
            draw_shoe(page)
            shoot(page, args.out / "app.png")
            page.locator(f"[data-colour='{HINT_COLOURS['red']}']").click()
            for x, y in RED_DABS:
                stroke(page, [(x, y), (x + 0.02, y)], moves=4)
            shoot(page, args.out / "app_hints.png")
            browser.close()
    finally:
        stop_app(proc)
    return 0


def draw_shoe(page) -> None:
    stroke(page, SHOE)
    stroke(page, LACE, moves=8)


def shoot(page, path: Path) -> None:
    settle(page)
    page.wait_for_timeout(1000)  # settle sees the last result arrive; give the browser time to paint it
    page.screenshot(path=str(path))
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
