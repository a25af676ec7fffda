"""The README's screenshots, taken in the app as a person uses it:

    python scripts/screenshots.py [--out docs]

- the Draw tab: a shoe drawn and the shipped model's shoe, at desktop width (app.png, also the
  Space's) and on a phone (app_phone.png), then red dabs of the colour pen (app_hints.png);
- the Label map tab: an example facade with two windows painted over it, at desktop width
  (app_labels.png), on a phone (app_labels_phone.png) and in dark mode (app_labels_dark.png).

Starts `python app.py` on the shipped weights and drives it in headless Chromium (Debian's
chromium, through Playwright) with the browser tests' own helpers (scripts/browser.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app_process import start_app, stop_app
from browser import CHROMIUM, LAUNCH_ARGS, SHOE, open_canvas, settle, stroke
from model.hints import HINT_COLOURS

ROOT = Path(__file__).resolve().parents[1]
DESKTOP, PHONE = (1300, 1100), (390, 844)
LACE = [(0.3, 0.5), (0.4, 0.5)]
RED_DABS = [(0.26, 0.55), (0.46, 0.53), (0.36, 0.62), (0.6, 0.6), (0.8, 0.63)]
WINDOWS = [(0.3, 0.45), (0.7, 0.45)]  # two windows painted over the label example


def main() -> int:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs", help="folder for the PNGs")
    args = p.parse_args()
    proc, url = start_app(ROOT / "weights")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            draw_tab(browser, url, args.out)
            label_tab(browser, url, args.out)
            browser.close()
    finally:
        stop_app(proc)
    return 0


def draw_tab(browser, url: str, out: Path) -> None:
    for size, name in ((PHONE, "app_phone.png"), (DESKTOP, "app.png")):
        page = open_canvas(browser, url, width=size[0], height=size[1])
        stroke(page, SHOE)
        stroke(page, LACE, moves=8)
        shoot(page, "#sketch canvas", out / name)
    page.locator(f"[data-colour='{HINT_COLOURS['red']}']").click()
    for x, y in RED_DABS:
        stroke(page, [(x, y), (x + 0.02, y)], moves=4)
    shoot(page, "#sketch canvas", out / "app_hints.png")


def label_tab(browser, url: str, out: Path) -> None:
    for suffix, size, name in (("", DESKTOP, "app_labels.png"), ("", PHONE, "app_labels_phone.png"),
                               ("/?__theme=dark", DESKTOP, "app_labels_dark.png")):  # fmt: skip
        page = open_canvas(browser, url + suffix, width=size[0], height=size[1], canvas="labels")
        page.locator("#live-labels [data-example]:not([hidden])").first.click()
        settle(page)
        page.locator("#live-labels [data-palette-of]:not([hidden]) [data-class]").nth(2).click()
        for x, y in WINDOWS:
            stroke(page, [(x, y), (x + 0.06, y)], moves=6, canvas="labels")
        shoot(page, "#live-labels .live-palette", out / name)
        page.close()


def shoot(page, top: str, path: Path) -> None:
    """Once the last result is painted: on a phone, scrolled so that `top` starts the screen (the
    canvas and the result on one screen)."""
    settle(page)
    page.wait_for_timeout(1000)  # settle sees the last result arrive; give the browser time to paint it
    if page.viewport_size["width"] < 700:
        page.locator(top).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(path))
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
