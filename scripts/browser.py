"""A person at the app's live canvas, for Playwright: headless Debian Chromium, a shoe outline, mouse
strokes, and a probe that records each new result. Used by scripts/screenshots.py and by the
browser tests (tests/test_app_browser.py imports these)."""

from __future__ import annotations

import shutil
import time

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
# A shoe outline, in fractions of the canvas.
SHOE = [(0.1, 0.62), (0.12, 0.42), (0.35, 0.38), (0.55, 0.5), (0.85, 0.58), (0.92, 0.7), (0.1, 0.72), (0.1, 0.62)]
# Records, in the page's clock, each new result and each pointer down, move and up on a canvas ("sketch": the
# Draw tab's, "labels": the Label map tab's).
PROBE = """(id) => {
  window.__t = {results: [], downs: [], ups: [], moves: []};
  const img = document.querySelector(`#${id}-result img`);
  new MutationObserver(() => { if (img.getAttribute('src')) window.__t.results.push(performance.now()); })
    .observe(img, {attributes: true, attributeFilter: ['src']});
  const canvas = document.querySelector(`#${id} canvas`);
  canvas.addEventListener('pointerdown', () => window.__t.downs.push(performance.now()));
  canvas.addEventListener('pointerup', () => window.__t.ups.push(performance.now()));
  canvas.addEventListener('pointermove', () => window.__t.moves.push(performance.now()));
}"""


def open_canvas(browser, url, width=1300, errors=None, height=1100, canvas="sketch"):
    """A page on the app at url once its live canvas is ready, with the probe in; page errors go to
    errors. canvas "labels": the Label map tab's canvas, its tab opened."""
    page = browser.new_page(viewport={"width": width, "height": height})
    if errors is not None:
        page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.locator("#live-canvas .live[data-ready]").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)  # Gradio renders the component once more after loading
    if canvas != "sketch":
        page.get_by_role("tab", name="Label map").click()
        page.locator(f"#{canvas} canvas").wait_for(state="visible", timeout=20_000)
    page.evaluate(PROBE, canvas)
    return page


def stroke(page, points, moves=40, move_ms=16, canvas="sketch"):
    """A stroke through points (fractions of the canvas), in `moves` mouse moves, one due every move_ms
    (a pen in steady motion). Each move returns once the page has taken it, which is at its next frame:
    a move that comes due meanwhile follows at once, as the browser delivers a moving pointer's events
    once per frame. (A fixed wait after each move would slow the pen down whenever the page is busy.)"""
    box = page.locator(f"#{canvas} canvas").bounding_box()

    def at(x, y):
        return box["x"] + x * box["width"], box["y"] + y * box["height"]

    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    start = time.perf_counter()
    segments = len(points) - 1
    for k in range(1, moves + 1):
        t = k / moves * segments
        i = min(int(t), segments - 1)
        f = t - i
        (x0, y0), (x1, y1) = points[i], points[i + 1]
        page.mouse.move(*at(x0 + f * (x1 - x0), y0 + f * (y1 - y0)))
        ahead = start + k * move_ms / 1000 - time.perf_counter()
        if ahead > 0:
            time.sleep(ahead)
    page.mouse.up()


def settle(page, quiet_ms=400, timeout_ms=20_000):
    """Wait until no new result has come for quiet_ms; returns the probe's record."""
    waited, last = 0, -1
    while waited < timeout_ms:
        count = page.evaluate("window.__t.results.length")
        if count == last:
            break
        last = count
        page.wait_for_timeout(quiet_ms)
        waited += quiet_ms
    return page.evaluate("window.__t")
