"""Unit tests of the app's pre- and post-processing (no server)."""

import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import app
from app import InputError, open_upload, seed_or_none
from tests.conftest import ROOT, torch_computation


def colours_of(image: Image.Image) -> set:
    return {tuple(c) for c in np.asarray(image.convert("RGB")).reshape(-1, 3).tolist()}


def drawing_url(strokes=True, size=256) -> str:
    """What the live canvas sends: a PNG data URL of black strokes on white."""
    image = Image.new("RGB", (size, size), "white")
    if strokes:
        ImageDraw.Draw(image).line([(30, 150), (100, 100), (225, 160), (30, 165)], fill="black", width=3)
    return app.data_url(image)


def test_a_drawing_from_the_canvas_becomes_a_shoe_and_the_edge_map_it_came_from(tiny_weights_dir):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    reply = app.App(models).translate_drawing(drawing_url(), None, "edges2shoes", "0")
    edges = app.decode_drawing(reply["edges"])
    assert reply["result"].startswith("data:image/jpeg;base64,")
    assert edges.size == (256, 256) and (np.asarray(edges) < 128).mean() < 0.05  # thin lines on white
    empty = app.App(models).translate_drawing(drawing_url(strokes=False), None, "edges2shoes", "0")
    assert empty == {"result": None, "edges": None}


def hints_url(colour=(214, 40, 40, 255), size=256) -> str:
    """What the colour pen sends: a PNG data URL of a colour stroke on a transparent layer."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(60, 140), (180, 140)], fill=colour, width=8)
    return app.data_url(image)


def test_colour_hints_reach_the_model_and_show_in_what_it_sees(tiny_weights_dir):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    plain = app.App(models).translate_drawing(drawing_url(), None, "edges2shoes", "0")
    hinted = app.App(models).translate_drawing(drawing_url(), hints_url(), "edges2shoes", "0")
    assert hinted["result"] != plain["result"]
    seen = np.asarray(app.decode_drawing(hinted["edges"]))
    assert (seen[140, 100] == [214, 40, 40]).all()  # the hint, painted over the edge map
    empty_layer = hints_url(colour=(0, 0, 0, 0))
    assert app.App(models).translate_drawing(drawing_url(), empty_layer, "edges2shoes", "0")["result"] == plain["result"]


def test_a_model_without_hint_channels_says_so(tiny_weights_dir):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    reply = app.App(models).translate_drawing(drawing_url(), hints_url(), "facades", "0")
    assert set(reply) == {"error"} and "takes no colour hints" in reply["error"]
    bad = app.App(models).translate_drawing(drawing_url(), "data:image/png;base64,!!", "edges2shoes", "0")
    assert "Reload the page" in bad["error"]


@pytest.mark.parametrize("bad", ["hello", "data:image/png;base64,!!!", "data:text/html;base64,PGI+", "data:image/png;base64,aGVsbG8="])
def test_a_bad_drawing_gets_a_message_not_a_traceback(tiny_weights_dir, bad):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    reply = app.App(models).translate_drawing(bad, None, "edges2shoes", "0")
    assert set(reply) == {"error"} and "Reload the page" in reply["error"]
    assert "Unknown model" in app.App(models).translate_drawing(drawing_url(), None, "nope", "0")["error"]


def test_a_huge_drawing_is_refused_before_it_is_decoded(tiny_weights_dir):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    huge = app.data_url(Image.new("1", (5000, 5000), 1))  # 25 megapixels in a few kB of PNG
    assert "far larger" in app.App(models).translate_drawing(huge, None, "edges2shoes", "0")["error"]


def test_seed():
    assert seed_or_none(0) is None and seed_or_none(None) is None and seed_or_none("") is None
    assert seed_or_none(7) == 7 and seed_or_none(7.0) == 7
    with pytest.raises(InputError, match="whole number"):
        seed_or_none("seven")
    with pytest.raises(InputError, match="between 0 and"):
        seed_or_none(99999999999999999999)  # too big for torch's seed: a message, not an overflow
    with pytest.raises(InputError, match="between 0 and"):
        seed_or_none(-3)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "I;16", "1"])
def test_uploads_of_any_mode_open_as_rgb(tmp_path, mode):
    rgb = Image.new("RGB", (80, 60), (10, 200, 30))
    image = rgb.convert("L").convert("I;16") if mode == "I;16" else rgb.convert(mode)
    image.save(tmp_path / "x.png")
    out = open_upload(tmp_path / "x.png")
    assert out.mode == "RGB" and out.size == (80, 60)


def test_big_uploads_are_scaled_down(tmp_path):
    Image.new("RGB", (3000, 2000), "white").save(tmp_path / "big.jpg")
    assert max(open_upload(tmp_path / "big.jpg").size) == app.WORK_SIZE


def test_huge_upload_is_refused_before_decoding(tmp_path):
    Image.new("1", (10000, 10000), 1).save(tmp_path / "huge.png")  # 100 megapixels, a few kB on disk
    with pytest.raises(InputError, match="over 16 megapixels.*Scale it down"):
        open_upload(tmp_path / "huge.png")


def test_corrupt_and_non_image_uploads_get_clear_messages(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="not an image this app can read"):
        open_upload(tmp_path / "notes.txt")
    Image.new("RGB", (300, 300), "blue").save(tmp_path / "cut.jpg")
    data = (tmp_path / "cut.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated or corrupt"):
        open_upload(tmp_path / "cut.jpg")
    with pytest.raises(InputError, match="No image"):
        open_upload(None)


def test_hub_model_that_cannot_be_reached_falls_back_to_bundled_weights(tiny_weights_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    models, notices = app.discover_models(tiny_weights_dir, {"edges2shoes": "someone/not-cached"}, "cpu")
    assert set(models) == {"edges2shoes", "facades"}
    assert models["edges2shoes"].source == str(tiny_weights_dir / "edges2shoes")
    assert len(notices) == 1 and "someone/not-cached" in notices[0].log and "bundled weights" in notices[0].page
    assert "someone/not-cached" not in notices[0].page  # the page names no sources or errors
    assert models["facades"].kind == "labels" and models["edges2shoes"].kind == "edges"


def test_model_override_from_a_folder(tiny_weights_dir):
    models, notices = app.discover_models(tiny_weights_dir, {"handbags": str(tiny_weights_dir / "edges2shoes")}, "cpu")
    assert not notices and models["handbags"].source == str(tiny_weights_dir / "edges2shoes")


def test_a_models_title_from_its_config_cannot_inject_html(tiny_weights_dir, tmp_path):
    import shutil

    folder = tmp_path / "w"
    shutil.copytree(tiny_weights_dir, folder)
    config = json.loads((folder / "edges2shoes" / "config.json").read_text())
    config["app"]["title"] = "<img src=x onerror=alert(1)>"
    (folder / "edges2shoes" / "config.json").write_text(json.dumps(config))
    models, _ = app.discover_models(folder, {}, "cpu")
    canvas = next(c for c in app.build_app(models).get_config_file()["components"]
                  if c.get("props", {}).get("elem_id") == "live-canvas")  # fmt: skip
    titles = json.dumps(canvas["props"])
    assert "<img src=x" not in titles and "&lt;img src=x" in titles  # the canvas's template takes it as HTML


def test_examples_are_served_by_index_and_a_bad_index_gets_none(tiny_weights_dir):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    live = app.App(models)
    assert live.example("edges", 0).startswith("data:image/png;base64,")
    label_map = app.decode_drawing(live.example("labels", 0))
    assert label_map.size == (256, 256) and colours_of(label_map) <= set(models["facades"].palette.values())
    assert live.example("edges", 10_000) is None and live.example("labels", "x") is None


def test_each_models_examples_show_with_it_only_and_say_what_they_are(tiny_weights_dir, tmp_path):
    import shutil

    shutil.copytree(tiny_weights_dir, tmp_path / "w")
    handbags = json.loads((ROOT / "train" / "presentations" / "edges2handbags.json").read_text())
    shutil.copytree(tiny_weights_dir / "edges2shoes", tmp_path / "w" / "edges2handbags")
    config = json.loads((tmp_path / "w" / "edges2handbags" / "config.json").read_text())
    (tmp_path / "w" / "edges2handbags" / "config.json").write_text(json.dumps({**config, "app": handbags}))
    models, _ = app.discover_models(tmp_path / "w", {}, "cpu")
    examples = app.canvas_examples(models, "edges")
    bags = [p for n, p in examples if n == "edges2handbags"]
    assert bags and all("edges2handbags" in p for p in bags)
    assert not any("edges2handbags" in p for n, p in examples if n == "edges2shoes")
    assert [n for n, _ in app.canvas_examples(models, "labels")] == ["facades"] * len(models["facades"].examples())
    assert app.example_name("drawing_ankle_boot.png") == "drawing: ankle boot"


FAKE_SPACES = '''import pickle

calls = []


def GPU(task=None, *, duration=None):
    def wrap(fn):
        def on_gpu(*args, **kwargs):  # the arguments travel to a forked worker: they must pickle
            calls.append(duration)
            return fn(*pickle.loads(pickle.dumps(args)), **pickle.loads(pickle.dumps(kwargs)))
        return on_gpu
    return wrap if task is None else wrap(task)
'''

ZERO_GPU_PROBE = '''
import sys
from PIL import Image
import app
models, _ = app.discover_models(app.Path(sys.argv[1]), {}, device="cpu", runtime="torch")
live = app.App(models)
live.run("edges2shoes", Image.new("RGB", (256, 256), "white"), 0)
sneaker = Image.open(app.Path(app.__file__).parent / "examples" / "edges2shoes" / "drawing_sneaker.png")
drawing = app.data_url(sneaker.convert("RGB").resize((256, 256)))
assert "result" in live.translate_drawing(drawing, None, "edges2shoes", "0", "page", 1, True)  # with its stop
spaces = sys.modules.get("spaces")  # Gradio itself may import it, to look for ZeroGPU
print("GPU calls:", [] if spaces is None else spaces.calls)
'''


@pytest.mark.parametrize("zero_gpu", ["true", ""])
def test_inference_runs_inside_spaces_gpu_on_a_zero_gpu_space_only(tiny_weights_dir, tmp_path, zero_gpu):
    """On ZeroGPU (SPACES_ZERO_GPU=true) each translation goes through spaces.GPU; elsewhere never (the
    package is not installed here: every other test runs the app without it)."""
    import subprocess
    import sys

    (tmp_path / "spaces.py").write_text(FAKE_SPACES)  # stands in for the `spaces` package, which the app never needs here
    env = {**os.environ, "SPACES_ZERO_GPU": zero_gpu, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    out = subprocess.run([sys.executable, "-c", ZERO_GPU_PROBE, str(tiny_weights_dir)], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == ("GPU calls: [10, 10]" if zero_gpu else "GPU calls: []")


def test_bad_model_folders_are_skipped_with_a_notice_and_the_app_starts_with_the_rest(tiny_weights_dir, tmp_path):
    import shutil

    folder = tmp_path / "w"
    shutil.copytree(tiny_weights_dir, folder)
    for name, change in (("huge", {"ngf": 1024}), ("typed", {"image_size": "256"})):
        shutil.copytree(tiny_weights_dir / "facades", folder / name)
        config = json.loads((folder / name / "config.json").read_text())
        config["generator"].update(change)
        (folder / name / "config.json").write_text(json.dumps(config))
    models, notices = app.discover_models(folder, {}, "cpu")
    assert set(models) == {"edges2shoes", "facades"}
    assert sorted(n.page.split("**")[1] for n in notices) == ["huge", "typed"]
    assert all(str(tmp_path) not in n.page and str(tmp_path) in n.log for n in notices)
    page = json.dumps(app.build_app(models, notices).get_config_file())
    assert "left out" in page and str(tmp_path) not in page


def test_examples_stay_inside_the_models_folder_even_through_links(tiny_weights_dir, tmp_path):
    import shutil

    folder = tmp_path / "w"
    shutil.copytree(tiny_weights_dir / "edges2shoes", folder / "edges2shoes")
    secret = tmp_path / "secret"
    secret.mkdir()
    Image.new("RGB", (8, 8)).save(secret / "private.png")
    (folder / "edges2shoes" / "mine").mkdir()
    Image.new("RGB", (8, 8), "white").save(folder / "edges2shoes" / "mine" / "drawing.png")
    (folder / "edges2shoes" / "mine" / "leak.png").symlink_to(secret / "private.png")
    config = json.loads((folder / "edges2shoes" / "config.json").read_text())
    config["app"]["examples"] = "mine"
    (folder / "edges2shoes" / "config.json").write_text(json.dumps(config))
    models, _ = app.discover_models(folder, {}, "cpu")
    assert [Path(p).name for p in models["edges2shoes"].examples()] == ["drawing.png"]


def test_titles_and_names_reach_markdown_as_text():
    assert app.markdown_text("![x](http://evil/a.png) <img src=x>") == r"\!\[x\]\(http://evil/a\.png\) &lt;img src=x&gt;"


def test_the_largest_seed_a_page_can_send_is_accepted_and_one_more_is_refused():
    assert seed_or_none(2**53 - 1) == 2**53 - 1  # what the seed boxes offer as their maximum
    with pytest.raises(InputError, match="between 0 and 9007199254740991"):
        seed_or_none(2**53)


def test_each_tab_has_its_own_seed_box_and_the_canvas_tabs_none(tiny_weights_dir):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    config = app.build_app(models).get_config_file()
    seeds = [c for c in config["components"] if c["type"] == "number" and c["props"].get("label", "").startswith("Variation seed")]
    assert len(seeds) == 1 and all(c["props"]["maximum"] == 2**53 - 1 for c in seeds)  # the Photo tab's
    assert "dropout" in seeds[0]["props"]["info"] and "1%" in seeds[0]["props"]["info"]  # what a seed does, and how little


def test_a_dot_is_not_a_drawing_and_gets_a_message(tiny_weights_dir):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    image = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(image).ellipse((120, 120, 123, 123), fill="black")
    reply = app.App(models).translate_drawing(app.data_url(image), None, "edges2shoes", "0")
    assert set(reply) == {"error"} and "too small" in reply["error"]


@pytest.mark.parametrize("size, colour, message", [((1, 1), "red", "too small"), ((300, 200), "white", "No edges")])
def test_a_tiny_or_blank_photo_gets_a_message(tiny_weights_dir, size, colour, message):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    with pytest.raises(InputError, match=message):
        app.App(models).photo_edges(Image.new("RGB", size, colour))


def test_a_label_map_outside_the_palette_is_refused_and_transparency_is_the_background(tiny_weights_dir):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    live, palette = app.App(models), models["facades"].palette
    grey = Image.linear_gradient("L").resize((256, 256))
    with pytest.raises(InputError, match="greyscale"):
        live.label_map("facades", grey)
    clear = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    ImageDraw.Draw(clear).rectangle((0, 0, 31, 63), fill=(*palette["window"], 255))
    snapped = live.label_map("facades", clear)
    assert snapped.getpixel((200, 100)) == palette["background"] and snapped.getpixel((20, 100)) == palette["window"]
    painted = app.data_url(snapped)
    assert live.snapped_label_map(painted, "facades")["map"].startswith("data:image/png")
    assert "not a label map" in live.snapped_label_map(app.data_url(grey), "facades")["error"]
    reply = live.translate_drawing(painted, None, "facades", "0")
    assert reply["result"].startswith("data:image/jpeg") and colours_of(app.decode_drawing(reply["edges"])) == {palette["background"], palette["window"]}


def test_two_visitors_translate_at_once_on_onnx_runtime_and_one_at_a_time_on_eager_torch(tiny_weights_dir):
    pytest.importorskip("onnxruntime")
    fast, _ = app.discover_models(tiny_weights_dir, {}, "cpu", runtime="onnx")
    eager, _ = app.discover_models(tiny_weights_dir, {}, "cpu", runtime="torch")
    assert app.App(fast).share.slots == 2 and app.App(eager).share.slots == 1
    two, other_runs, done = app.App(fast), threading.Event(), threading.Event()
    alone = two.translate_drawing(drawing_url(), None, "edges2shoes", "0")
    other = threading.Thread(target=two.share.run, args=("10.0.0.2", "other", lambda: (other_runs.set(), done.wait(10))))
    other.start()
    other_runs.wait(10)  # another visitor's turn is running
    beside = two.translate_drawing(drawing_url(), None, "edges2shoes", "0")
    done.set()
    other.join()
    network = fast["edges2shoes"].translator.onnx
    assert (False, 1) in network.sessions  # its one-core session (on a one-core machine, its only one)
    assert beside["result"] == alone["result"]  # on one core, the same shoe


def test_the_finished_drawing_stops_its_pages_running_translation_of_an_older_one(tiny_weights_dir):
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu")
    live = app.App(models)
    translate, stops = live.translate, []

    def first_runs_until_stopped(name, image, seed, hints, threads, stop):
        stops.append(stop)
        for _ in range(5000 if len(stops) == 1 else 0):  # the first one runs long, unless stopped
            stop.check()
            time.sleep(0.001)
        return translate(name, image, seed, hints, threads, stop)

    live.translate, replies = first_runs_until_stopped, {}
    drawing = drawing_url()

    def send(name, number, final=False):
        replies[name] = live.translate_drawing(drawing, None, "edges2shoes", "0", "page", number, final)

    older = threading.Thread(target=send, args=("older", 1))
    older.start()
    while not stops:
        time.sleep(0.001)
    send("finished", 2, final=True)
    older.join()
    assert replies["older"] == {"superseded": True}
    assert replies["finished"]["result"].startswith("data:image/jpeg") and len(stops) == 2


def test_the_canvases_requests_on_onnx_runtime_run_no_torch_computation(tiny_weights_dir):
    pytest.importorskip("onnxruntime")
    models, _ = app.discover_models(tiny_weights_dir, {}, "cpu", runtime="onnx")
    live = app.App(models)
    label_map = app.data_url(Image.new("RGB", (256, 256), models["facades"].palette["background"]))
    requests = [lambda: live.translate_drawing(drawing_url(), None, "edges2shoes", "0"),
                lambda: live.translate_drawing(drawing_url(), hints_url(), "edges2shoes", "0"),
                lambda: live.translate_drawing(label_map, None, "facades", "0")]  # fmt: skip
    for request in requests:
        assert "result" in request()  # first calls made the sessions
        assert torch_computation(request) == set()
