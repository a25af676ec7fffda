"""A person at the canvas: headless Debian Chromium, driven by Playwright, draws strokes with the mouse."""

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, start_app, stop_app

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("PIX2PIX_ARTIFACTS", ROOT / "test-artifacts"))
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium not found: install Debian's chromium package (scripts/test.sh does, as root)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_url(tiny_weights_dir):
    """The app with the shipped weights when they are there, else small untrained ones."""
    shipped = ROOT / "weights"
    has_shipped = (shipped / "edges2shoes" / "config.json").is_file()
    proc, url = start_app(shipped if has_shipped else tiny_weights_dir)
    try:
        yield url
    finally:
        stop_app(proc)


def result_src(page) -> str | None:
    return page.evaluate("document.querySelector('#sketch-result img')?.getAttribute('src') ?? null")


def wait_for_new_result(page, previous: str | None, timeout: float = 60) -> tuple[str, float]:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        src = result_src(page)
        if src and src != previous:
            return src, time.perf_counter() - start
        page.wait_for_timeout(20)
    raise AssertionError(f"no new result image within {timeout} s")


def test_drawing_on_the_canvas_shows_a_shoe_live(browser, app_url):
    page = browser.new_page(viewport={"width": 1300, "height": 1100})
    page.goto(app_url)
    canvas = page.locator("#sketch canvas").first
    canvas.wait_for(timeout=30_000)
    box = canvas.bounding_box()
    # The drawing area is the 512x512 canvas, centred and scaled to fit the editor.
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    side = min(box["width"], box["height"]) * 0.9

    def stroke(points):
        page.mouse.move(cx + (points[0][0] - 0.5) * side, cy + (points[0][1] - 0.5) * side)
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(cx + (x - 0.5) * side, cy + (y - 0.5) * side, steps=6)
        page.mouse.up()

    assert result_src(page) is None  # nothing before the first stroke
    stroke([(0.1, 0.62), (0.12, 0.42), (0.35, 0.38), (0.55, 0.5), (0.85, 0.58), (0.92, 0.7), (0.1, 0.72), (0.1, 0.62)])
    first, first_latency = wait_for_new_result(page, None)
    stroke([(0.1, 0.67), (0.92, 0.66)])  # a sole line: the result must change
    second, second_latency = wait_for_new_result(page, first)
    assert second != first
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "browser_sketch.png"
    page.screenshot(path=str(shot))
    print(f"\nstroke-to-image: first {first_latency * 1000:.0f} ms, second {second_latency * 1000:.0f} ms; screenshot {shot}")
    assert page.locator("#sketch-edges img").count() == 1  # the edge map the model saw is shown
    page.close()


def test_random_example_then_clear(browser, app_url):
    page = browser.new_page(viewport={"width": 1300, "height": 1100})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_url)
    page.locator("#sketch canvas").first.wait_for(timeout=30_000)
    page.locator("#random-sketch").click()
    assert wait_for_new_result(page, None)[0]
    page.locator("#sketch").get_by_label("Clear canvas").click()
    deadline = time.perf_counter() + 30
    while result_src(page) and time.perf_counter() < deadline:
        page.wait_for_timeout(50)
    assert result_src(page) is None  # the result goes with the drawing
    toasts = page.locator(".toast-body.error")
    assert toasts.count() == 0, toasts.first.inner_text()
    assert not errors
    page.close()
