"""A person at the canvas: headless Debian Chromium, driven by Playwright, draws with the mouse.

The latency figures are printed (past pytest's capture, so CI's log has them), never asserted: they depend on the
machine. What is asserted is behaviour: shoes appear while the pen moves, the last one follows
the finished drawing, examples load, clear empties the result, and nothing errs.
"""

import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from model.hints import HINT_COLOURS
from scripts.app_process import start_app, stop_app
from scripts.browser import CHROMIUM, LAUNCH_ARGS, SHOE, open_canvas, settle, stroke
from scripts.synthetic_pairs import write_ab_folder
from tests.conftest import ROOT

pytestmark = pytest.mark.browser
ARTIFACTS = Path(os.environ.get("PIX2PIX_ARTIFACTS", ROOT / "test-artifacts"))


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


def result_src(page):
    return page.evaluate("document.querySelector('#sketch-result img').getAttribute('src')")


def measure(page, strokes=6):
    """mouse-up to the last shoe, shoes per second while the pen is down, settling after a burst."""
    after_up, per_second = [], []
    for k in range(strokes):
        shift = 0.02 * k
        stroke(page, [(x, y + shift) for x, y in SHOE] if k % 2 == 0 else [(0.1, 0.67 + shift), (0.92, 0.66 + shift)])
        t = settle(page)
        down, up = t["downs"][-1], t["ups"][-1]
        during = [r for r in t["results"] if down < r <= up]
        per_second.append(len(during) / ((up - down) / 1000))
        after_up.append(max(t["results"]) - up)
    for k in range(13):  # a burst of quick strokes
        stroke(page, [(0.2 + 0.05 * k, 0.3), (0.25 + 0.05 * k, 0.5)], moves=6, move_ms=8)
    t = settle(page, quiet_ms=600)
    burst_settle = max(t["results"]) - t["ups"][-1]
    return {"mouse_up_to_shoe_ms": statistics.median(after_up), "shoes_per_s_while_drawing": statistics.median(per_second),
            "burst_settles_ms": burst_settle}  # fmt: skip


def report(capsys, name, figures):
    """Printed past pytest's capture, so that CI's log shows the figures."""
    with capsys.disabled():
        print(f"\n{name}: mouse-up to new shoe {figures['mouse_up_to_shoe_ms']:.0f} ms (median); "
              f"{figures['shoes_per_s_while_drawing']:.1f} shoes/s while drawing; "
              f"after a burst of 13 strokes the shoe settles {figures['burst_settles_ms']:.0f} ms after the last")  # fmt: skip


def test_the_shoe_follows_the_pen(browser, app_url, capsys):
    errors = []
    page = open_canvas(browser, app_url, errors=errors)
    assert result_src(page) is None  # nothing before the first stroke
    figures = measure(page)
    report(capsys, "no extra load", figures)
    assert figures["shoes_per_s_while_drawing"] > 0  # shoes arrive while the pen is down
    assert result_src(page).startswith("data:image/")
    assert page.locator("#sketch-edges").get_attribute("src").startswith("data:image/png")  # what the model saw
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser_desktop.png"), full_page=True)
    assert not errors
    page.close()


def test_the_shoe_follows_the_pen_with_colour_hints_on_the_canvas(browser, app_url, capsys):
    errors = []
    page = open_canvas(browser, app_url, errors=errors)
    page.locator(f"[data-colour='{HINT_COLOURS['red']}']").click()  # a red dab first: every shoe after it is translated with hints
    stroke(page, [(0.4, 0.6), (0.45, 0.6)], moves=6)
    settle(page)
    page.locator("[data-tool=pen]").click()
    figures = measure(page)
    report(capsys, "with a colour hint", figures)
    assert figures["shoes_per_s_while_drawing"] > 0 and not errors
    page.close()


def test_the_same_while_a_training_run_keeps_both_cores_busy(browser, app_url, tmp_path, capsys):
    data = write_ab_folder(tmp_path / "pairs", 16, size=64)
    cmd = [sys.executable, "-m", "train", "--data", str(data), "--out", str(tmp_path / "run"), "--size", "64",
           "--ngf", "32", "--ndf", "32", "--norm", "instance", "--batch-size", "16", "--epochs", "100000",
           "--checkpoint-every", "1000000", "--sample-every", "1000000", "--val-count", "0"]  # fmt: skip
    trainer = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "2"}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        page = open_canvas(browser, app_url)
        figures = measure(page, strokes=4)
        report(capsys, "both cores busy with training", figures)
        assert figures["shoes_per_s_while_drawing"] > 0
        page.close()
    finally:
        trainer.kill()


def test_eight_people_drawing_at_once_each_see_updates(browser, app_url, capsys):
    pages = [open_canvas(browser, app_url, width=900) for _ in range(8)]
    boxes = [p.locator("#sketch canvas").bounding_box() for p in pages]
    for page, box in zip(pages, boxes):
        page.mouse.move(box["x"] + 0.1 * box["width"], box["y"] + 0.5 * box["height"])
        page.mouse.down()
    for k in range(60):  # all eight draw at once, move by move
        for page, box in zip(pages, boxes):
            page.mouse.move(box["x"] + (0.1 + 0.013 * k) * box["width"], box["y"] + (0.5 + 0.2 * (k % 2)) * box["height"])
    for page in pages:
        page.mouse.up()
    counts = [len(settle(page)["results"]) for page in pages]
    with capsys.disabled():
        print(f"\neight people drawing at once: shoes each saw during one stroke {sorted(counts)}")
    assert min(counts) >= 1 and all(result_src(p) for p in pages)
    for page in pages:
        page.close()


def test_examples_load_and_can_be_erased_and_cleared(browser, app_url):
    errors = []
    page = open_canvas(browser, app_url, errors=errors)
    page.locator("#random-sketch").click()
    assert settle(page)["results"], "a random example gives a shoe"
    page.locator("[data-example='0']").click()  # the drawn boot
    settle(page)
    example_shoe = result_src(page)
    page.locator("[data-tool=eraser]").click()
    stroke(page, [(0.03, 0.5), (0.97, 0.5)], moves=20)  # the eraser cuts through the example's lines
    settle(page)
    assert result_src(page) != example_shoe
    page.locator("[data-action=undo]").click()
    settle(page)
    with page.expect_download() as download:
        page.locator("[data-action=download]").click()
    assert download.value.suggested_filename.endswith(".png")
    page.locator("[data-action=clear]").click()
    page.wait_for_timeout(500)
    assert result_src(page) is None  # the result goes with the drawing
    page.locator("[data-action=download]").click()  # nothing to download: a message, no error
    assert "Nothing to download" in page.locator("[data-status]").inner_text()
    stroke(page, SHOE)  # after Clear the pen draws at once
    assert settle(page)["results"] and result_src(page)
    page.screenshot(path=str(ARTIFACTS / "browser_example.png"))
    assert not errors
    page.close()


def test_a_phone_sees_the_canvas_first_and_the_shoe_right_below(browser, app_url):
    page = open_canvas(browser, app_url, width=390)
    stroke(page, SHOE)
    settle(page)
    canvas = page.locator("#sketch canvas").bounding_box()
    shoe = page.locator("#sketch-result").bounding_box()
    assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= 390
    assert shoe["y"] > canvas["y"] + canvas["height"]  # below the canvas
    assert shoe["y"] - (canvas["y"] + canvas["height"]) < 400  # right below, not far down the page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser_phone.png"), full_page=True)
    page.close()


def test_in_dark_mode_the_canvas_menus_are_readable(browser, app_url):
    page = open_canvas(browser, app_url + "/?__theme=dark")
    colours = page.evaluate("""() => [...document.querySelectorAll('#live-canvas select, #live-canvas input[type=number]')]
        .map(e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor])""")
    page.close()

    def luminance(css):
        r, g, b = (int(v) / 255 for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    assert colours
    for text, background in colours:  # WCAG contrast ratio of text on its background
        light, dark = sorted((luminance(text), luminance(background)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) > 4.5, (text, background)


def test_a_file_that_is_not_an_image_gets_the_apps_message_on_the_label_tab(browser, app_url, tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    page = open_canvas(browser, app_url)
    page.get_by_role("tab", name="Label map").click()
    for bad in ("notes.txt", "empty.png"):
        page.locator("input[type=file]").first.set_input_files(str(tmp_path / bad))
        toast = page.locator(".toast-body").last
        toast.wait_for(timeout=20_000)
        text = toast.inner_text()
        assert "not an image this app can read" in text or "could not be decoded" in text, text
        assert "/tmp" not in text and "Traceback" not in text  # no server paths, no raw error
    page.close()


@pytest.fixture(scope="module")
def hint_app_url(tiny_weights_dir, tmp_path_factory):
    """The app with small untrained models: edges2shoes takes colour hints, edges2handbags does not."""
    import json

    import torch

    from model import GeneratorConfig, UNetGenerator, save_generator

    folder = tmp_path_factory.mktemp("hint-weights")
    shutil.copytree(tiny_weights_dir, folder, dirs_exist_ok=True)
    presentation = json.loads((ROOT / "train" / "presentations" / "edges2handbags.json").read_text())
    torch.manual_seed(1)
    save_generator(folder / "edges2handbags", UNetGenerator(GeneratorConfig(image_size=64, ngf=8, norm="instance")),
                   {"direction": "AtoB", "dataset": "edges2handbags", "app": presentation})  # fmt: skip
    proc, url = start_app(folder)
    try:
        yield url
    finally:
        stop_app(proc)


def seen_colours(page):
    """What the model saw, as the page shows it: (red pixels, blue pixels), from 'What the model sees'."""
    return page.evaluate("""async () => {
      const img = document.querySelector('#sketch-edges');
      const c = document.createElement('canvas');
      c.width = img.naturalWidth; c.height = img.naturalHeight;
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let red = 0, blue = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] > 150 && d[i + 1] < 90 && d[i + 2] < 90) red++;
        if (d[i + 2] > 150 && d[i] < 90 && d[i + 1] < 120) blue++;
      }
      return [red, blue];
    }""")


def test_the_colour_pen_paints_hints_the_shoe_follows_and_eraser_and_undo_work_on_them(browser, hint_app_url):
    errors = []
    page = open_canvas(browser, hint_app_url, errors=errors)
    stroke(page, SHOE)
    settle(page)
    plain = result_src(page)
    assert seen_colours(page) == [0, 0]
    page.locator(f"[data-colour='{HINT_COLOURS['red']}']").click()  # red
    assert page.locator("[data-tool=colour]").get_attribute("aria-pressed") == "true"
    stroke(page, [(0.3, 0.55), (0.5, 0.55)], moves=10)
    settle(page)
    assert result_src(page) != plain and seen_colours(page)[0] > 20
    page.locator("[data-colour='#1d4ed8']").click()  # blue
    stroke(page, [(0.6, 0.6), (0.7, 0.6)], moves=10)
    settle(page)
    red, blue = seen_colours(page)
    assert red > 20 and blue > 20
    page.locator("[data-tool=eraser]").click()
    stroke(page, [(0.55, 0.6), (0.75, 0.6)], moves=10)  # wipes the blue hint
    settle(page)
    assert seen_colours(page)[1] == 0 and seen_colours(page)[0] > 20
    page.locator("[data-action=undo]").click()  # the blue hint comes back
    settle(page)
    assert seen_colours(page)[1] > 20
    page.locator("[data-action=undo]").click()
    page.locator("[data-action=undo]").click()  # no hints left: the plain shoe again
    settle(page)
    assert seen_colours(page) == [0, 0] and result_src(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "browser_hints.png"))
    assert not errors
    page.close()


def test_the_colour_pen_is_usable_only_with_a_model_that_takes_hints(browser, hint_app_url):
    page = open_canvas(browser, hint_app_url)
    colour = page.locator("[data-tool=colour]")
    assert colour.is_visible() and colour.is_enabled()  # edges2shoes, first, takes hints
    page.locator("[data-model]").select_option("edges2handbags")
    assert colour.is_visible() and colour.is_disabled()
    assert page.locator(f"[data-colour='{HINT_COLOURS['red']}']").is_disabled() and "pick one under Model" in colour.get_attribute("title")
    page.locator("[data-model]").select_option("edges2shoes")
    assert colour.is_enabled() and "Colour pen" in colour.get_attribute("title")
    page.close()
