"""The FCN-score: label colours to classes, the three figures on hand-made maps, and the segmenter's round trip."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from train.evaluate import main as evaluate_main
from train.segment import (IGNORE, FCNScore, Segmenter, colours_to_classes, config_for, default_palette, fcn_scores,
                           load_segmenter, main as segment_main)  # fmt: skip

PALETTE = default_palette()
CONFIG = config_for(PALETTE)
ROAD, CAR, SKY = (CONFIG.classes.index(k) for k in ("road", "car", "sky"))


def test_label_colours_snap_to_classes_and_void_is_ignored():
    noisy = np.array([[[126, 66, 130], [3, 2, 140]], [[0, 0, 0], [72, 128, 183]]], dtype=np.uint8)  # JPEG-shifted
    assert colours_to_classes(Image.fromarray(noisy), CONFIG).tolist() == [[ROAD, CAR], [IGNORE, SKY]]
    assert len(CONFIG.classes) == 19 and "void" not in CONFIG.classes


def test_the_three_figures_on_a_known_confusion():
    score = FCNScore(4)
    truth = torch.tensor([0, 0, 1, 1, 1, IGNORE, IGNORE])
    predicted = torch.tensor([0, 1, 1, 1, 2, 2, 0])  # ignored pixels count nowhere
    score.update(predicted, truth)
    result = score.compute()
    assert result["per_pixel_acc"] == pytest.approx(3 / 5)
    assert result["per_class_acc"] == pytest.approx((1 / 2 + 2 / 3) / 2)  # classes 2 and 3 are not in the truth
    # IoU: class 0 1/2, class 1 2/4, class 2 (predicted, never true) 0; class 3 (in neither) not averaged.
    assert result["class_iou"] == pytest.approx((1 / 2 + 2 / 4 + 0) / 3)
    assert result["classes_scored"] == 2
    with pytest.raises(ValueError, match="no labelled pixels"):
        FCNScore(2).compute()


class ColourSegmenter:
    """A perfect segmenter for label-coloured 'photos': each pixel's nearest palette colour."""

    config = CONFIG

    def __call__(self, photos: torch.Tensor) -> torch.Tensor:
        images = ((photos + 1) * 127.5).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
        return torch.stack([torch.from_numpy(colours_to_classes(Image.fromarray(im), CONFIG)).long() for im in images])


def label_map(split: int) -> Image.Image:
    """Road below `split`, sky above, a car in the middle."""
    image = np.zeros((256, 256, 3), np.uint8)
    image[:split] = PALETTE["sky"]
    image[split:] = PALETTE["road"]
    image[100:140, 100:180] = PALETTE["car"]
    return Image.fromarray(image)


def test_outputs_that_reproduce_the_labels_score_perfectly_and_others_do_not():
    labels = [label_map(120), label_map(150)]
    perfect = fcn_scores(ColourSegmenter(), labels, labels, labels)
    assert perfect["fcn"]["per_pixel_acc"] == 1.0 and perfect["fcn"]["class_iou"] == 1.0
    shifted = fcn_scores(ColourSegmenter(), labels, [label_map(60), label_map(60)], labels)
    assert shifted["fcn"]["per_pixel_acc"] < 1.0 and shifted["fcn"]["class_iou"] < 1.0
    assert shifted["fcn_ground_truth"]["class_iou"] == 1.0  # the real photos are the ceiling


def cityscapes_like(folder, n):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        labels = np.asarray(label_map(int(rng.integers(80, 180))))
        photo = np.clip(labels.astype(int) + rng.integers(-20, 20, labels.shape), 0, 255).astype(np.uint8)
        Image.fromarray(np.concatenate([photo, labels], axis=1)).save(folder / f"{i}.jpg")


def test_a_segmenter_trains_saves_loads_and_scores_through_evaluate(tmp_path, capsys):
    cityscapes_like(tmp_path / "cs" / "train", 4)
    cityscapes_like(tmp_path / "cs" / "val", 2)
    assert segment_main(["train", "--data", str(tmp_path / "cs"), "--out", str(tmp_path / "seg"), "--epochs", "1",
                         "--batch-size", "2"]) == 0  # fmt: skip
    meta = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 0 <= meta["val_real_photos"]["per_pixel_acc"] <= 1
    assert "class IoU" in (tmp_path / "seg" / "README.md").read_text()
    assert segment_main(["score", "--segmenter", str(tmp_path / "seg"), "--data", str(tmp_path / "cs" / "val"), "--card"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == meta["val_real_photos"]
    segmenter = load_segmenter(tmp_path / "seg")
    assert isinstance(segmenter, Segmenter) and segmenter(torch.zeros(1, 3, 64, 64)).shape == (1, 64, 64)
    assert json.loads((tmp_path / "seg" / "config.json").read_text())["task"] == "segment"  # the app skips it
    from model import GeneratorConfig, UNetGenerator, save_generator

    weights = save_generator(tmp_path / "g", UNetGenerator(GeneratorConfig(64, ngf=8)), {"direction": "BtoA"})
    assert evaluate_main(["--weights", str(weights), "--data", str(tmp_path / "cs" / "val"), "--fcn-score",
                          "--segmenter", str(tmp_path / "seg"), "--no-realism", "--grid", str(tmp_path / "g.png")]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result["fcn"]) == set(result["fcn_ground_truth"]) == {"per_pixel_acc", "per_class_acc", "class_iou", "classes_scored"}
    assert evaluate_main(["--weights", str(weights), "--data", str(tmp_path / "cs" / "val"), "--fcn-score",
                          "--segmenter", str(tmp_path / "none"), "--no-realism"]) == 2  # fmt: skip
    assert "no segmenter there" in capsys.readouterr().err


def test_training_reports_the_fcn_score_at_each_validation(tmp_path):
    from tests.train.tiny import tiny_config
    from train.segment import build_segmenter, save_segmenter
    from train.train import train

    cityscapes_like(tmp_path / "cs" / "train", 4)
    cityscapes_like(tmp_path / "cs" / "val", 2)
    save_segmenter(tmp_path / "seg", build_segmenter(CONFIG), CONFIG, {})
    result = train(tiny_config(tmp_path / "cs", tmp_path / "run", direction="BtoA", norm="instance", max_steps=2,
                               segmenter=str(tmp_path / "seg")))  # fmt: skip
    assert 0 <= result["fcn"]["class_iou"] <= 1 and "fcn_ground_truth" in result
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert "fcn" in rows[-1]
