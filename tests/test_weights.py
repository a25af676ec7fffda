"""The trained models shipped in weights/: complete, small, loadable offline, and documented."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = sorted(p for p in (ROOT / "weights").iterdir() if p.is_dir()) if (ROOT / "weights").is_dir() else []
# The translators; weights/shoe-edges is the edge detector of model.edges, tested below on its own.
SHIPPED = [p.name for p in FOLDERS if json.loads((p / "config.json").read_text()).get("task", "translate") == "translate"]


def shipped_config(name: str) -> dict:
    return json.loads((ROOT / "weights" / name / "config.json").read_text())


def test_the_headline_model_ships():
    assert "edges2shoes" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_model_folder_is_complete_and_small(name):
    folder = ROOT / "weights" / name
    for file in ("model.safetensors", "config.json", "README.md", "samples.png"):
        assert (folder / file).is_file(), f"weights/{name}/{file}"
    assert (folder / "model.safetensors").stat().st_size < 50 * 2**20
    config = shipped_config(name)
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlicense: other\n")
    assert f"--data ../shared/data/{config['dataset']} " in card  # the command that reproduces it
    assert f"{config['val_metrics']['psnr']:.2f}" in card
    for baseline in ("all white", "mean training image"):
        assert baseline in config["baselines"]


def test_a_shipped_model_loads_offline_from_a_fresh_process():
    code = (
        "from model import load_translator; from PIL import Image; "
        "t = load_translator('weights/edges2shoes', device='cpu'); "
        "print(t(Image.new('RGB', (256, 256), 'white')).size)"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(256, 256)"


def test_the_edges2shoes_card_shows_drawings():
    card = (ROOT / "weights" / "edges2shoes" / "README.md").read_text()
    assert (ROOT / "weights" / "edges2shoes" / "drawings.png").is_file() and "(drawings.png)" in card


def test_the_shipped_shoe_model_keeps_a_drawings_background_white():
    """The example drawings, as the app prepares them: little but white outside each drawn shoe.
    Checkpoints that smudged grey under the heel's arch scored 3-5% on the heel (docs/experiments.md)."""
    from PIL import Image

    from model import load_translator
    from model.sketch import prepare_drawing
    from train.realism import off_shoe_grey

    translate = load_translator(ROOT / "weights" / "edges2shoes", device="cpu")
    for path in sorted((ROOT / "examples" / "edges2shoes").glob("drawing_*.png")):
        edges = prepare_drawing(Image.open(path)).edges
        assert off_shoe_grey(translate(edges), edges) < 0.02, path.name


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_model_beats_both_trivial_baselines_on_every_metric(name):
    # The figures train.export measured on the whole val split when it wrote the folder.
    config = shipped_config(name)
    model = config["val_metrics"]
    for baseline, score in config["baselines"].items():
        assert model["l1"] < score["l1"], f"{name}: L1 {model['l1']:.4f} vs {baseline} {score['l1']:.4f}"
        assert model["psnr"] > score["psnr"], f"{name}: PSNR {model['psnr']:.2f} vs {baseline} {score['psnr']:.2f}"
        assert model["ssim"] > score["ssim"], f"{name}: SSIM {model['ssim']:.3f} vs {baseline} {score['ssim']:.3f}"


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_models_recorded_metrics_reproduce_on_the_real_val_split(name):
    from model import load_translator
    from train.data import PairedImageFolder
    from train.evaluate import evaluate

    config = shipped_config(name)
    val = ROOT.parent / "shared" / "data" / config["dataset"] / "val"
    if not val.is_dir():
        pytest.skip(f"{val} is not here")
    metrics, _ = evaluate(load_translator(ROOT / "weights" / name, device="cpu"), PairedImageFolder(val, config["direction"]))
    assert metrics["count"] == config["val_metrics"]["count"]
    for key in ("l1", "psnr", "ssim"):
        assert metrics[key] == pytest.approx(config["val_metrics"][key], rel=1e-3), key
    recorded = config["val_metrics"].get("with_10_hint_dots")
    if recorded:  # a model that takes hints: its figures given 10 dots of each target's colours
        metrics, _ = evaluate(load_translator(ROOT / "weights" / name, device="cpu"), PairedImageFolder(val, config["direction"]),
                              hint_dots=10)  # fmt: skip
        for key in ("l1", "psnr", "ssim"):
            assert metrics[key] == pytest.approx(recorded[key], rel=1e-3), f"{key} with 10 dots"


def test_the_edge_detector_ships_small_with_its_threshold_and_card():
    folder = ROOT / "weights" / "shoe-edges"
    config = json.loads((folder / "config.json").read_text())
    assert config["task"] == "photo-to-edges" and 0 < config["threshold"] < 1
    assert (folder / "model.safetensors").stat().st_size < 10 * 2**20
    assert (folder / "samples.png").is_file() and "python -m train.edges train" in (folder / "README.md").read_text()


def test_hints_on_one_drawing_give_a_red_a_blue_and_a_white_shoe():
    """The README's example, as the app runs it: six dabs of one colour on the sneaker drawing, through the shipped model."""
    from PIL import Image

    import colorsys

    import numpy as np

    from model import load_translator
    from PIL import ImageColor

    from model.hints import HINT_COLOURS
    from model.sketch import prepare_drawing
    from train.shoes import shoe_hsv

    translate = load_translator(ROOT / "weights" / "edges2shoes", device="cpu")
    assert translate.takes_hints and translate.config.hint_adapter  # hints go to an adapter beside the no-hint model
    drawing = Image.open(ROOT / "examples" / "edges2shoes" / "drawing_sneaker.png")
    edges = prepare_drawing(drawing).edges
    plain = shoe_hsv(translate(edges), edges)
    hints = {c: prepare_drawing(drawing, Image.open(ROOT / "examples" / "edges2shoes" / "hints" / f"sneaker_{c}.png")).hints
             for c in ("red", "blue", "white")}  # fmt: skip
    shoes = {c: shoe_hsv(translate(edges, hints=h), edges) for c, h in hints.items()}
    print(f"\nmean shoe colour (h, s, v): none {plain}, " + ", ".join(f"{c} {v}" for c, v in shoes.items()))
    (rh, rs, _), (bh, bs, _), (_, ws, wv) = shoes["red"], shoes["blue"], shoes["white"]
    # red: hue within 22 degrees of red (red-orange), saturated. V1 gave 16 degrees; V2's base, tied closer to the
    # catalogue's red-browns by lambda = 200, gives about 20 whatever its adapter's training (its card says more).
    assert (rh < 22 / 360 or rh > 1 - 22 / 360) and rs > 0.4
    assert 0.55 < bh < 0.7 and bs > 0.3  # blue: hue between 198 and 252 degrees, saturated
    assert wv > plain[2] + 0.2 and ws < 0.25  # white: much lighter than without hints, and unsaturated
    # Each hint moves the shoe's mean colour towards its own (the colour pen's preset the dabs were made with):
    # red and white to within 60% of the unhinted distance, blue (darker than its dabs) to within 85%.
    rgb = {c: np.array(colorsys.hsv_to_rgb(*v)) for c, v in {"none": plain, **shoes}.items()}
    for c, share in (("red", 0.6), ("blue", 0.85), ("white", 0.6)):
        target = ImageColor.getrgb(HINT_COLOURS[c])
        assert np.linalg.norm(rgb[c] - np.array(target) / 255) < share * np.linalg.norm(rgb["none"] - np.array(target) / 255), c


def test_the_cityscapes_segmenter_ships_small_with_its_own_scores_in_its_card():
    folder = ROOT / "weights" / "cityscapes-segmenter"
    config = json.loads((folder / "config.json").read_text())
    assert config["task"] == "segment" and len(config["segmenter"]["classes"]) == 19
    assert (folder / "model.safetensors").stat().st_size < 10 * 2**20
    card = (folder / "README.md").read_text()
    real = config["val_real_photos"]
    assert f"{real['class_iou']:.3f}" in card and "python -m train.segment train" in card


@pytest.mark.parametrize("name", SHIPPED)
def test_a_seed_changes_about_one_percent_of_the_image_as_the_app_says(name):
    """The seed box's "a subtle variation, about 1% of the image": the mean difference between two seeds'
    outputs, on the model's first example, over 0-255."""
    import numpy as np
    from PIL import Image

    from model import load_translator
    from model.sketch import prepare_drawing

    translate = load_translator(ROOT / "weights" / name, device="cpu")
    example = Image.open(sorted((ROOT / "examples" / name).glob("*.png"))[0])
    image = prepare_drawing(example).edges if name.startswith("edges") else example.convert("RGB")
    one, two = (np.asarray(translate(image, seed=s), dtype=np.float64) for s in (1, 2))
    change = np.abs(one - two).mean() / 255
    print(f"\n{name}: seeds 1 and 2 differ by {100 * change:.2f}% of the image")
    assert 0.002 < change < 0.03
