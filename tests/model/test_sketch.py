"""A drawing -> what a sketch model sees: the edge map, and the colour hints placed with it."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from model.hints import has_hints, paint_hints
from model.sketch import ink, prepare_drawing


def is_thin(lines: np.ndarray) -> bool:
    """No 2x2 block fully inked: lines are one pixel wide."""
    return not (lines[:-1, :-1] & lines[1:, :-1] & lines[:-1, 1:] & lines[1:, 1:]).any()


def test_drawing_is_thinned_scaled_and_centred():
    drawing = Image.new("RGBA", (800, 600), (0, 0, 0, 0))  # a transparent canvas, as Gradio's may be
    ImageDraw.Draw(drawing).line([(50, 60), (250, 60), (250, 160)], fill=(0, 0, 0, 255), width=9)
    edges = prepare_drawing(drawing, size=256, fill=0.9).edges
    ys, xs = np.nonzero(ink(edges))
    assert is_thin(ink(edges))
    assert 0.85 * 256 <= xs.max() - xs.min() + 1 <= 0.95 * 256  # the longer side spans 90%
    assert abs((xs.max() + xs.min()) / 2 - 128) < 4 and abs((ys.max() + ys.min()) / 2 - 128) < 4


def test_empty_drawing_gives_none():
    assert prepare_drawing(Image.new("RGB", (300, 300), "white")) is None
    assert prepare_drawing(Image.new("RGBA", (300, 300), (0, 0, 0, 0)), Image.new("RGBA", (300, 300), "red")) is None


def test_hints_move_and_scale_with_the_drawing_they_were_painted_on():
    drawing = Image.new("RGB", (512, 512), "white")
    ImageDraw.Draw(drawing).rectangle((20, 20, 120, 70), outline="black", width=3)  # small, in a corner
    hints = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    ImageDraw.Draw(hints).ellipse((36, 30, 44, 38), fill=(0, 0, 255, 255))  # near the box's top-left corner
    sketch = prepare_drawing(drawing, hints, size=256)
    edges, placed, placement = sketch.edges, sketch.hints, sketch.placement
    assert placed.size == (256, 256) and placed.mode == "RGBA"
    lines = np.argwhere(np.asarray(edges.convert("L")) < 128)
    dab = np.argwhere(np.asarray(placed.getchannel("A")) == 255).mean(axis=0)
    # Where the dab's centre (40, 34) lands: (x - left) * scale + offset, for the box of the drawn lines.
    (left, top, right, _), (w, h) = placement.box, placement.scaled
    scale = w / (right - left)
    expected = ((34 - top) * scale + (256 - h) // 2, (40 - left) * scale + (256 - w) // 2)
    assert np.allclose(dab, expected, atol=1.5)
    assert lines[:, 1].min() < dab[1] < lines[:, 1].mean() and lines[:, 0].min() < dab[0] < lines[:, 0].mean()
    assert (np.asarray(placed)[tuple(np.round(dab).astype(int))] == [0, 0, 255, 255]).all()
    with pytest.raises(ValueError, match="drawing's size"):
        prepare_drawing(drawing, Image.new("RGBA", (256, 256), "red"))


def test_faint_pixels_are_not_hints_anywhere():
    drawing = Image.new("RGB", (256, 256), "white")
    ImageDraw.Draw(drawing).rectangle((20, 20, 230, 200), outline="black", width=3)
    faint = Image.new("RGBA", (256, 256), (0, 0, 0, 0))
    ImageDraw.Draw(faint).rectangle((60, 60, 80, 80), fill=(0, 0, 255, 20))  # an eraser's remnant
    assert not has_hints(faint)
    assert prepare_drawing(drawing, faint).hints is None
    assert paint_hints(drawing, faint).tobytes() == drawing.tobytes()


def test_what_the_model_sees_is_the_edge_map_with_the_hints_painted_over_it():
    drawing = Image.new("RGB", (300, 300), "white")
    ImageDraw.Draw(drawing).rectangle((40, 40, 260, 200), outline="black", width=4)
    hints = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(hints).ellipse((140, 110, 160, 130), fill=(255, 0, 0, 255))
    plain, hinted = prepare_drawing(drawing), prepare_drawing(drawing, hints)
    assert plain.hints is None and plain.seen is plain.edges
    assert hinted.edges.tobytes() == plain.edges.tobytes()  # hints never change the edge map
    seen = np.asarray(hinted.seen)
    assert (seen[np.asarray(hinted.hints)[..., 3] == 255] == [255, 0, 0]).all()
