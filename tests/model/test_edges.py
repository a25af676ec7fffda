import numpy as np
from PIL import Image, ImageDraw

from model.edges import drawing_to_edges, photo_to_edges


def ink(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")) < 128


def is_thin(lines: np.ndarray) -> bool:
    """No 2x2 block fully inked: lines are one pixel wide."""
    return not (lines[:-1, :-1] & lines[1:, :-1] & lines[:-1, 1:] & lines[1:, 1:]).any()


def test_photo_to_edges_gives_thin_black_lines_on_white():
    photo = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(photo).ellipse((60, 50, 340, 250), fill=(120, 60, 20))
    edges = photo_to_edges(photo, size=256)
    lines = ink(edges)
    assert edges.size == (256, 256) and edges.mode == "RGB"
    assert set(np.unique(np.asarray(edges))) <= {0, 255}
    assert 300 < lines.sum() < 2000 and is_thin(lines)
    assert not lines[:20].any() and not lines[-20:].any()  # only the ellipse's outline


def test_drawing_is_thinned_scaled_and_centred():
    drawing = Image.new("RGBA", (800, 600), (0, 0, 0, 0))  # a transparent canvas, as Gradio's may be
    ImageDraw.Draw(drawing).line([(50, 60), (250, 60), (250, 160)], fill=(0, 0, 0, 255), width=9)
    edges = drawing_to_edges(drawing, size=256, fill=0.9)
    ys, xs = np.nonzero(ink(edges))
    assert is_thin(ink(edges))
    assert 0.85 * 256 <= xs.max() - xs.min() + 1 <= 0.95 * 256  # the longer side spans 90%
    assert abs((xs.max() + xs.min()) / 2 - 128) < 4 and abs((ys.max() + ys.min()) / 2 - 128) < 4


def test_empty_drawing_gives_none():
    assert drawing_to_edges(Image.new("RGB", (300, 300), "white")) is None
    assert drawing_to_edges(Image.new("RGBA", (300, 300), (0, 0, 0, 0))) is None
