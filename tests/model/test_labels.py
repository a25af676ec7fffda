"""Label maps: snapping to the palette."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from model.labels import NotALabelMap, prepare_label_map, snap_to_palette

ROOT = Path(__file__).resolve().parents[2]


def colours_of(image: Image.Image) -> set:
    return {tuple(c) for c in np.asarray(image.convert("RGB")).reshape(-1, 3).tolist()}


def test_palette_snapping_cleans_jpeg_noise(tmp_path):
    palette = {k: tuple(v) for k, v in json.loads((ROOT / "train" / "presentations" / "facades.json").read_text())["palette"].items()}
    colours = list(palette.values())
    clean = Image.new("RGB", (64, 64), colours[1])
    ImageDraw.Draw(clean).rectangle((10, 10, 30, 50), fill=colours[2])
    ImageDraw.Draw(clean).rectangle((40, 5, 60, 20), fill=colours[11])
    clean.save(tmp_path / "labels.jpg", quality=60)
    noisy = Image.open(tmp_path / "labels.jpg").convert("RGB")
    assert len(colours_of(noisy)) > 10
    assert colours_of(prepare_label_map(noisy, palette, 64)) <= set(colours)  # shifted colours are still the palette's
    snapped = snap_to_palette(noisy, palette)
    assert colours_of(snapped) <= set(colours)
    assert (np.asarray(snapped) == np.asarray(clean)).all(axis=-1).mean() > 0.97


def test_a_label_map_is_prepared_at_256_px_in_the_palette():
    image = Image.new("RGBA", (500, 300), (70, 130, 180, 255))  # sky
    out = prepare_label_map(image, {"sky": (70, 130, 180), "road": (128, 64, 128)})
    assert out.size == (256, 256) and colours_of(out) == {(70, 130, 180)}


def test_transparency_is_the_background_class_and_maps_outside_the_palette_are_told_apart():
    palette = {"background": (6, 6, 174), "window": (2, 130, 254), "sill": (114, 254, 142)}
    clear = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    assert colours_of(prepare_label_map(clear, palette)) == {(6, 6, 174)}  # not white's nearest (sill)
    with pytest.raises(NotALabelMap, match="greyscale"):
        prepare_label_map(Image.linear_gradient("L").convert("RGB"), palette)
    photo = Image.radial_gradient("L").convert("RGB").point(lambda v: v // 2 + 100)
    photo.putpixel((0, 0), (200, 120, 40))
    with pytest.raises(NotALabelMap, match="far from every class colour"):
        prepare_label_map(photo, palette)
