import numpy as np
import pytest
import torch
from PIL import Image

from scripts.synthetic_pairs import side_by_side
from tests.conftest import synthetic_pair, write_ab_folder
from train.augment import BatchAugment
from train.data import DatasetError, PairedImageFolder, PreloadedPairs, stroke_labels


def test_reads_side_by_side_pairs_in_both_directions(ab_folder):
    a2b = PairedImageFolder(ab_folder, "AtoB", size=32)
    b2a = PairedImageFolder(ab_folder, "BtoA", size=32)
    assert len(a2b) == 8
    x, y = a2b[0]
    assert x.shape == y.shape == (3, 32, 32) and x.min() >= -1 and x.max() <= 1
    x2, y2 = b2a[0]
    assert torch.equal(x, y2) and torch.equal(y, x2)
    a, _ = synthetic_pair(32, 0)
    assert torch.allclose(x, torch.from_numpy(np.array(a)).permute(2, 0, 1).float() / 127.5 - 1)


def test_reads_separate_a_and_b_folders(tmp_path):
    for i in range(3):
        a, b = synthetic_pair(40, i)
        for name, im in (("A", a), ("B", b)):
            (tmp_path / name).mkdir(exist_ok=True)
            im.save(tmp_path / name / f"img{i}.png")
    Image.new("RGB", (40, 40)).save(tmp_path / "A" / "lonely.png")
    with pytest.warns(UserWarning, match="no partner"):
        data = PairedImageFolder(tmp_path, "AtoB", size=32)
    assert len(data) == 3


def identical_halves(folder, n=4, size=64):
    """AB pairs whose halves are the same edge map, so any misalignment shows as a difference."""
    folder.mkdir()
    for i in range(n):
        a, _ = synthetic_pair(size, i)
        side_by_side(a, a).save(folder / f"{i}.png")
    return folder


@pytest.mark.parametrize("drawing", [False, True])
def test_jitter_and_placement_keep_the_halves_aligned_and_are_reproducible(tmp_path, drawing):
    data = PreloadedPairs([identical_halves(tmp_path / "same")], "AtoB", load_size=72, label_strokes=True)
    augment = BatchAugment(64, crop=True, drawing=drawing, p_sketch=0.0, p_place=1.0)
    x, y, strokes = data.batch(torch.arange(4), "cpu")
    outs = augment(x, y, strokes, torch.Generator().manual_seed(3))
    assert outs[0].shape == (4, 3, 64, 64) and outs[0].min() >= -1 and outs[0].max() <= 1
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
    again = augment(x, y, strokes, torch.Generator().manual_seed(3))
    assert torch.equal(outs[0], again[0])
    other = augment(x, y, strokes, torch.Generator().manual_seed(4))
    assert not torch.equal(outs[0], other[0])


def test_sketching_changes_the_edges_but_not_the_photos_geometry(tmp_path):
    data = PreloadedPairs([identical_halves(tmp_path / "same", size=128)], "AtoB", load_size=128, label_strokes=True)
    x, y, strokes = data.batch(torch.arange(4), "cpu")
    plain = BatchAugment(128, crop=False)(x, y, strokes, torch.Generator().manual_seed(0))
    sketched = BatchAugment(128, crop=False, drawing=True, p_sketch=1.0, p_place=0.0)
    outs = [sketched(x, y, strokes, torch.Generator().manual_seed(s)) for s in range(4)]
    assert all(not torch.allclose(sx, y_) for (sx, _), y_ in zip(outs, [plain[1]] * 4))
    for _, sy in outs:  # the photo is only mirrored: equal to the input or its mirror image
        assert all(torch.allclose(a, b, atol=1e-5) or torch.allclose(a, b.flip(-1), atol=1e-5) for a, b in zip(sy, y))
    assert len({sx.numpy().tobytes() for sx, _ in outs}) == 4


def test_strokes_are_labelled_with_the_three_longest_kept():
    edges = np.full((20, 40), 255, np.uint8)
    for row, length in ((2, 12), (6, 10), (10, 8), (14, 3)):
        edges[row, 1 : 1 + length] = 0
    labels = stroke_labels(edges)
    assert (labels[2, 1:13] == 1).all() and (labels[6, 1:11] == 1).all() and (labels[10, 1:9] == 1).all()
    assert (labels[14, 1:4] >= 2).all() and (labels[edges == 255] == 0).all()


def test_corrupt_file_gets_a_clear_error_naming_it(ab_folder):
    (ab_folder / "9.png").write_bytes(b"not an image at all")
    with pytest.raises(DatasetError, match=r"9\.png.*cannot be read.*--skip-bad-files"):
        PairedImageFolder(ab_folder)


def test_wrong_size_gets_a_clear_error(ab_folder):
    Image.new("RGB", (50, 50)).save(ab_folder / "square.png")
    with pytest.raises(DatasetError, match=r"square\.png.*twice as wide as high"):
        PairedImageFolder(ab_folder)


def test_truncated_file_is_reported_when_read(ab_folder):
    path = ab_folder / "10.jpg"
    write_ab_folder(ab_folder, 1, size=64, suffix=".jpg", start=10)
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * 0.7)])  # header intact, data cut off
    data = PairedImageFolder(ab_folder, size=32)
    index = [p.name for p, _ in data.items].index("10.jpg")
    with pytest.raises(DatasetError, match=r"10\.jpg"):
        data[index]


def test_bad_files_can_be_skipped_with_a_warning(ab_folder):
    (ab_folder / "9.png").write_bytes(b"junk")
    with pytest.warns(UserWarning, match=r"skipping .*9\.png"):
        data = PairedImageFolder(ab_folder, skip_bad_files=True)
    assert len(data) == 8


def test_empty_or_missing_folder(tmp_path):
    with pytest.raises(DatasetError, match="not a folder"):
        PairedImageFolder(tmp_path / "missing")
    with pytest.raises(DatasetError, match="no usable images"):
        PairedImageFolder(tmp_path)


def test_real_edges2shoes_pairs_load(shared_data):
    data = PairedImageFolder(shared_data / "edges2shoes" / "val", size=256)
    x, y = data[0]
    assert len(data) == 200 and x.shape == (3, 256, 256)
    assert x.mean() > 0.8  # the edge map: mostly white
