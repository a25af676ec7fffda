import numpy as np
from PIL import Image, ImageDraw

from model.edges import photo_to_edges, postprocess_edges
from model.sketch import ink


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
    assert photo_to_edges(photo, size=256, threads=1).tobytes() == edges.tobytes()  # on one core, beside another visitor
    assert not lines[:20].any() and not lines[-20:].any()  # only the ellipse's outline


def test_postprocessing_thins_a_soft_ridge_and_drops_specks():
    yy, xx = np.mgrid[:64, :64]
    prob = np.exp(-((yy - 30.0) ** 2) / (2 * 2.0**2)) * ((xx > 8) & (xx < 56))  # a blurred horizontal line
    prob[50:52, 20:22] = 0.9  # a 4-pixel speck
    lines = postprocess_edges(prob, threshold=0.5)
    rows = np.nonzero(lines[:, 20:44].any(axis=1))[0]
    assert list(rows) == [30] and lines[30, 12:52].all()  # one pixel wide, on the ridge
    assert not lines[45:].any()  # the speck is gone (under 5 pixels)


def test_photo_to_edges_falls_back_on_canny_without_detector_weights(monkeypatch):
    import model.edges as edges

    monkeypatch.setattr(edges, "edge_detector", lambda *a: None)
    photo = Image.new("RGB", (300, 300), "white")
    ImageDraw.Draw(photo).rectangle((60, 80, 240, 220), fill=(20, 40, 160))
    assert edges.photo_to_edges(photo).tobytes() == edges.canny_edges(photo).tobytes()


def test_the_shipped_detector_draws_the_datasets_edges(shared_data):
    from model.edges import edge_detector
    from train.edges import score

    detector = edge_detector()
    if detector is None:
        import pytest

        pytest.skip("weights/shoe-edges is not there")
    result = score(lambda p: ink(photo_to_edges(p, detector=detector)), shared_data / "edges2shoes" / "val", limit=20)
    assert result["f"] > 0.8, result
