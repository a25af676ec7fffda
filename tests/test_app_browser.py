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

from PIL import ImageChops

from app import decode_drawing
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


def result_src(page, canvas="sketch"):
    return page.evaluate(f"document.querySelector('#{canvas}-result img').getAttribute('src')")


def measure(page, strokes=10, canvas="sketch"):
    """mouse-up to the last shoe, shoes per second while the pen is down, settling after a burst."""
    after_up, per_second, moves_per_second = [], [], []
    for k in range(strokes):
        shift = 0.02 * k
        stroke(page, [(x, y + shift) for x, y in SHOE] if k % 2 == 0 else [(0.1, 0.67 + shift), (0.92, 0.66 + shift)], canvas=canvas)
        t = settle(page)
        down, up = t["downs"][-1], t["ups"][-1]
        during = [r for r in t["results"] if down < r <= up]
        per_second.append(len(during) / ((up - down) / 1000))
        moves_per_second.append(len([m for m in t["moves"] if down < m <= up]) / ((up - down) / 1000))
        after_up.append(max(0, max(t["results"]) - up))  # 0: the finished drawing's shoe was there at mouse-up
    for k in range(13):  # a burst of quick strokes
        stroke(page, [(0.2 + 0.05 * k, 0.3), (0.25 + 0.05 * k, 0.5)], moves=6, move_ms=8, canvas=canvas)
    t = settle(page, quiet_ms=600)
    burst_settle = max(0, max(t["results"]) - t["ups"][-1])
    return {"mouse_up_to_shoe_ms": statistics.median(after_up), "shoes_per_s_while_drawing": statistics.median(per_second),
            "moves_per_s": statistics.median(moves_per_second), "burst_settles_ms": burst_settle}  # fmt: skip


def report(capsys, name, figures, what="shoe"):
    """Printed past pytest's capture, so that CI's log shows the figures."""
    with capsys.disabled():
        print(f"\n{name}: mouse-up to new {what} {figures['mouse_up_to_shoe_ms']:.0f} ms (median); "
              f"{figures['shoes_per_s_while_drawing']:.1f} {what}s/s while drawing (the pen moved "
              f"{figures['moves_per_s']:.0f} times a second); "
              f"after a burst of 13 strokes the {what} settles {figures['burst_settles_ms']:.0f} ms after the last")  # fmt: skip


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
        figures = measure(page, strokes=6)
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


def test_the_shoe_on_show_is_the_answer_to_the_finished_drawing(browser, app_url):
    """Two requests in flight and the pen-up request must not leave an older shoe on show, on a network
    slow enough (300 ms a request) that drawings wait in the page while two requests are out."""
    page = open_canvas(browser, app_url)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 300, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})  # fmt: skip
    sent = []  # the page's translation requests, in the order they went
    page.on("request", lambda r: sent.append(r) if r.method == "POST" and "translate_drawing" in (r.post_data or "") else None)
    for k in range(4):  # quick strokes, each ending while requests are in flight
        stroke(page, [(0.15, 0.3 + 0.1 * k), (0.85, 0.35 + 0.1 * k)], moves=12, move_ms=4)
    settle(page)
    # The finished drawing: the visible canvas (the lines, no hints) at the size the page sends.
    finished = page.evaluate("""() => {
      const small = document.createElement('canvas');
      small.width = small.height = 256;
      small.getContext('2d').drawImage(document.querySelector('#sketch canvas'), 0, 0, 256, 256);
      return small.toDataURL('image/png');
    }""")
    assert same_pixels(decode_drawing(sent[-1].post_data_json["data"][0]), decode_drawing(finished))  # as the server sees both
    # The shoe on show answers the finished drawing: the last request, or an earlier copy of the same drawing
    # that the server was translating already as the pen lifted (the last one is then refused).
    answered = [r for r in sent if "result" in r.response().json()]
    assert same_pixels(decode_drawing(answered[-1].post_data_json["data"][0]), decode_drawing(finished))
    assert answered[-1].response().json()["result"] == result_src(page)
    page.close()


def test_lines_all_erased_leave_no_shoe_and_no_broken_image(browser, app_url):
    errors = []
    page = open_canvas(browser, app_url, errors=errors)
    stroke(page, [(0.3, 0.5), (0.7, 0.5)], moves=10)
    settle(page)
    assert result_src(page)
    page.locator("[data-tool=eraser]").click()
    stroke(page, [(0.25, 0.5), (0.75, 0.5)], moves=10)  # the eraser, four pens wide, over the whole line
    settle(page)
    assert result_src(page) is None and not errors
    page.close()


def test_examples_load_and_can_be_erased_and_cleared(browser, app_url):
    errors = []
    page = open_canvas(browser, app_url, errors=errors)
    page.locator("#random-sketch").click()
    assert settle(page)["results"], "a random example gives a shoe"
    before_example = canvas_pixels(page)
    page.locator("[data-example='0']").click()  # the drawn boot
    settle(page)
    example_shoe, example_canvas = result_src(page), canvas_pixels(page)
    page.locator("[data-tool=eraser]").click()
    stroke(page, [(0.03, 0.5), (0.97, 0.5)], moves=20)  # the eraser cuts through the example's lines
    settle(page)
    assert result_src(page) != example_shoe
    page.locator("[data-action=undo]").click()
    settle(page)
    assert canvas_pixels(page) == example_canvas  # one undo after the eraser: the example again
    page.locator("[data-action=undo]").click()  # one more: what was there before the example
    page.wait_for_timeout(300)
    assert canvas_pixels(page) == before_example
    page.locator("[data-action=redo]").click()
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


def same_pixels(a, b) -> bool:
    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def canvas_pixels(page, canvas="sketch"):
    return page.evaluate(f"document.querySelector('#{canvas} canvas').toDataURL()")


@pytest.mark.parametrize("width, height", [(390, 844), (800, 1000)])
@pytest.mark.parametrize("canvas", ["sketch", "labels"])
def test_the_layout_holds_on_a_phone_and_at_800_px(browser, app_url, width, height, canvas):
    page = open_canvas(browser, app_url, width=width, height=height, canvas=canvas)
    stroke(page, SHOE, canvas=canvas)
    settle(page)
    board, result = (page.locator(f"#{canvas}{part}").bounding_box() for part in (" canvas", "-result"))
    assert board["x"] >= 0 and board["x"] + board["width"] <= width
    if width < 700:  # a phone: the canvas as wide as the screen, the result right under it
        assert board["width"] >= width - 2
        assert 0 < result["y"] - (board["y"] + board["height"]) < 24
        assert result["y"] + result["height"] - board["y"] <= height  # both on one screen together
    else:  # side by side, level
        assert result["x"] > board["x"] + board["width"] and abs(result["y"] - board["y"]) < 2
    small = page.evaluate("""(id) => [...document.querySelectorAll(`#${id}`)].flatMap(c => [...c.closest('.live').querySelectorAll(
        'button, select, input:not([type=file]), summary')]).filter(e => e.offsetParent).map(e => [e.textContent || e.title, e.getBoundingClientRect().height])
        .filter(([, h]) => h < 40)""", canvas)
    assert not small, small  # touch targets of at least 40 px
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"browser_{canvas}_{width}.png"), full_page=True)
    page.close()


def test_undo_shortcuts_work_from_the_page_but_not_in_the_seed_box(browser, app_url):
    page = open_canvas(browser, app_url)
    stroke(page, [(0.5, 0.5)], moves=1)  # a dot: no edges to translate, and the page says so
    page.wait_for_function("document.querySelector('#live-canvas [data-status]').textContent.includes('too small')", timeout=20_000)
    assert result_src(page) is None
    page.locator("[data-action=clear]").click()
    stroke(page, SHOE)
    settle(page)
    drawn = canvas_pixels(page)
    page.keyboard.press("Control+z")  # focus is on the page, not the canvas
    page.wait_for_timeout(300)
    assert canvas_pixels(page) != drawn and result_src(page) is None
    page.keyboard.press("Control+Shift+z")
    drawn = canvas_pixels(page)  # redrawn in one go: its pixels differ a little from the live stroke's
    assert settle(page)["results"] and result_src(page)
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+y")
    assert canvas_pixels(page) == drawn
    seed = page.locator("#live-canvas [data-seed]")
    seed.fill("12")
    seed.press("Control+z")  # the seed box's own undo, not the drawing's
    assert canvas_pixels(page) == drawn
    page.close()


def test_examples_show_with_their_own_model_and_say_what_they_are(browser, app_url):
    page = open_canvas(browser, app_url)
    names = lambda: page.eval_on_selector_all("#live-canvas [data-example]", "bs => bs.filter(b => !b.hidden).map(b => b.title)")  # noqa: E731
    first = names()
    assert first and all(":" in n and "val" not in n for n in first)  # "drawing: boot", not a file name
    models = page.eval_on_selector_all("#live-canvas [data-model] option", "os => os.map(o => o.value)")
    if len(models) > 1:
        page.locator("#live-canvas [data-model]").select_option(models[1])
        assert names() and not set(names()) & set(first)
    page.close()


# Each text element of the canvases with the colour of its text and of what is behind it (the nearest
# ancestor with a background).
TEXT_COLOURS = """() => [...document.querySelectorAll(
    '.live select, .live input[type=number], .live-status, .live-hint, .live-tools button, .live-palette button')]
  .map(e => {
    let back = e;
    while (back && getComputedStyle(back).backgroundColor.endsWith(', 0)')) back = back.parentElement;
    return [e.className + ' ' + e.tagName, getComputedStyle(e).color, getComputedStyle(back || document.body).backgroundColor];
  })"""


def luminance(css):
    r, g, b = (int(float(v)) / 255 for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_in_both_themes_the_canvas_text_is_readable(browser, app_url, theme):
    page = open_canvas(browser, app_url + f"/?__theme={theme}", canvas="labels")
    colours = page.evaluate(TEXT_COLOURS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"browser_labels_{theme}.png"))
    page.close()
    assert len(colours) > 10
    for what, text, background in colours:  # WCAG contrast ratio of text on its background
        light, dark = sorted((luminance(text), luminance(background)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) > 4.5, (what, text, background)


def test_the_photo_tab_shows_the_photo_and_explains_a_photo_it_cannot_use(browser, app_url, tmp_path):
    from PIL import Image

    Image.new("RGB", (1, 1), "red").save(tmp_path / "dot.png")
    page = open_canvas(browser, app_url)
    page.get_by_role("tab", name="Photo").click()
    for name in ("app_hints.png", "dot.png"):
        with page.expect_file_chooser() as chooser:
            page.get_by_text("Click to Upload").click()
        chooser.value.set_files(str(ROOT / "docs" / name if name == "app_hints.png" else tmp_path / name))
        if name == "app_hints.png":  # the photo, its edges and the result
            page.wait_for_function("document.querySelectorAll('img[src*=\"gradio_api/file\"]').length >= 3", timeout=30_000)
            page.locator("button[aria-label='Clear']").first.click()
    toast = page.locator(".toast-body").last
    toast.wait_for(timeout=20_000)
    assert "1x1 pixels: too small" in toast.inner_text()
    page.close()


def label_fit(page):
    """The share of "what the model sees" (the last result's input) whose colour matches the label canvas now."""
    return page.evaluate("""async () => {
      const seen = document.querySelector('#labels-edges'), board = document.querySelector('#labels canvas');
      const c = document.createElement('canvas');
      c.width = c.height = 256;
      const ctx = c.getContext('2d', {willReadFrequently: true});
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(seen, 0, 0, 256, 256);
      const a = ctx.getImageData(0, 0, 256, 256).data;
      ctx.drawImage(board, 0, 0, 256, 256);
      const b = ctx.getImageData(0, 0, 256, 256).data;
      let same = 0;
      for (let i = 0; i < a.length; i += 4) same += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]) < 60;
      return same / (a.length / 4);
    }""")


def label_colour_share(page, hex_colour):
    """The share of what the model saw that is one class colour."""
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return page.evaluate("""(rgb) => {
      const seen = document.querySelector('#labels-edges');
      const c = document.createElement('canvas');
      c.width = c.height = 256;
      const ctx = c.getContext('2d');
      ctx.drawImage(seen, 0, 0, 256, 256);
      const d = ctx.getImageData(0, 0, 256, 256).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) n += d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2];
      return n / (d.length / 4);
    }""", rgb)


def first_label_palette(page):
    return page.eval_on_selector_all("#live-labels [data-palette-of]:not([hidden]) [data-class]", "bs => bs.map(b => [b.textContent, b.dataset.class])")


def test_the_label_canvas_paints_fills_and_follows_the_brush(browser, app_url, capsys):
    errors = []
    page = open_canvas(browser, app_url, errors=errors, canvas="labels")
    palette = dict(first_label_palette(page))
    names = list(palette)
    chosen = page.locator("#live-labels [data-class].on")
    assert chosen.count() == 1 and chosen.get_attribute("data-class") != palette[names[0]]  # the first brush is not the background
    figures = measure(page, canvas="labels")
    report(capsys, "label canvas", figures, what="result")
    assert figures["shoes_per_s_while_drawing"] > 0 and label_fit(page) > 0.95  # the result is of the newest painting
    page.locator("#live-labels [data-tool=fill]").click()
    page.locator(f"#live-labels [data-palette-of]:not([hidden]) [data-class='{palette[names[2]]}']").click()
    stroke(page, [(0.97, 0.97)], moves=1, canvas="labels")  # the background around the strokes
    settle(page)
    assert label_colour_share(page, palette[names[2]]) > 0.5 and label_fit(page) > 0.95
    page.locator("#live-labels [data-action=undo]").click()
    settle(page)
    assert label_colour_share(page, palette[names[2]]) < 0.1
    models = page.eval_on_selector_all("#live-labels [data-model] option", "os => os.map(o => o.value)")
    if len(models) > 1:  # another model, another palette: each keeps its own painting, and the page says so
        painted = canvas_pixels(page, "labels")
        page.locator("#live-labels [data-model]").select_option(models[1])
        assert "own painting" in page.locator("#live-labels [data-status]").inner_text()
        assert canvas_pixels(page, "labels") != painted
        page.locator("#live-labels [data-model]").select_option(models[0])
        assert canvas_pixels(page, "labels") == painted and settle(page)["results"] and label_fit(page) > 0.95
    assert not errors
    page.close()


def test_a_label_map_uploads_into_the_canvas_and_is_painted_over(browser, app_url, tmp_path):
    errors = []
    page = open_canvas(browser, app_url, errors=errors, canvas="labels")
    palette = dict(first_label_palette(page))
    names = list(palette)
    rgb = [int(palette[names[3]][i : i + 2], 16) for i in (1, 3, 5)]
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))  # transparent: the background class
    ImageDraw.Draw(image).rectangle((0, 0, 149, 299), fill=(*rgb, 255))
    image.save(tmp_path / "map.png")
    Image.linear_gradient("L").save(tmp_path / "grey.png")
    (tmp_path / "notes.txt").write_text("not an image")
    upload = page.locator("#live-labels [data-upload]")
    upload.set_input_files(str(tmp_path / "map.png"))
    settle(page)
    assert 0.4 < label_colour_share(page, palette[names[3]]) < 0.6 and 0.4 < label_colour_share(page, palette[names[0]]) < 0.6
    stroke(page, [(0.6, 0.1), (0.6, 0.9)], canvas="labels")  # paint over it, with the brush's class
    settle(page)
    assert label_colour_share(page, palette[names[1]]) > 0.01 and label_fit(page) > 0.95
    status = page.locator("#live-labels [data-status]")
    for bad, message in (("grey.png", "not a label map"), ("notes.txt", "not an image this app can read")):
        upload.set_input_files(str(tmp_path / bad))
        page.wait_for_function(f"document.querySelector('#live-labels [data-status]').textContent.includes({message!r})", timeout=20_000)
        assert "/tmp" not in status.inner_text()
    assert label_fit(page) > 0.95  # a refused upload leaves the painting and its result
    assert not errors
    page.close()


def test_a_label_example_then_a_seed_change_gives_a_new_result_of_the_same_map(browser, app_url):
    page = open_canvas(browser, app_url, canvas="labels")
    page.locator("#live-labels [data-example]:not([hidden])").first.click()
    stroke(page, [(0.5, 0.5), (0.55, 0.55)], moves=4, canvas="labels")  # at once: the newest input must win
    settle(page)
    before, fit = result_src(page, "labels"), label_fit(page)
    assert before and fit > 0.95
    seed = page.locator("#live-labels [data-seed]")
    seed.fill("7")
    seed.press("Tab")  # the change event
    settle(page)
    assert result_src(page, "labels") not in (None, before) and label_fit(page) > 0.95
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
