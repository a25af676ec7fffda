import numpy as np
import pytest
import torch
from PIL import Image

from tests.conftest import synthetic_pair, write_ab_folder
from train.augment import DrawingAugment
from train.data import DatasetError, PairedImageFolder


def test_reads_side_by_side_pairs_in_both_directions(ab_folder):
    a2b = PairedImageFolder(ab_folder, "AtoB", size=32, train=False)
    b2a = PairedImageFolder(ab_folder, "BtoA", size=32, train=False)
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
        data = PairedImageFolder(tmp_path, "AtoB", size=32, train=False)
    assert len(data) == 3


def test_jitter_keeps_the_halves_aligned_and_is_reproducible(tmp_path):
    folder = tmp_path / "same"
    folder.mkdir()
    for i in range(4):  # A and B identical, so any misalignment shows as a difference
        a, _ = synthetic_pair(64, i)
        ab = Image.new("RGB", (128, 64))
        ab.paste(a, (0, 0))
        ab.paste(a, (64, 0))
        ab.save(folder / f"{i}.png")
    data = PairedImageFolder(folder, size=64, train=True, seed=3)
    load_size = data.load_size
    assert load_size == 72  # 286/256 of 64
    outs = [data[i] for i in range(4)]
    for x, y in outs:
        assert torch.equal(x, y)
    again = PairedImageFolder(folder, size=64, train=True, seed=3)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(outs, (again[i] for i in range(4))))
    data.set_epoch(1)
    assert any(not torch.equal(outs[i][0], data[i][0]) for i in range(4))


def test_drawing_augment_keeps_pairs_aligned_and_varies_the_edges(ab_folder):
    data = PairedImageFolder(ab_folder, size=32, train=False)
    a, b = data.load_pair(0)
    aug = DrawingAugment(p_sketch=1.0, p_place=1.0)
    outs = [aug(a, b, torch.Generator().manual_seed(s)) for s in range(6)]
    for ea, eb in outs:
        assert ea.size == eb.size == a.size
    assert len({np.asarray(ea).tobytes() for ea, _ in outs}) > 1


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
    data = PairedImageFolder(shared_data / "edges2shoes" / "val", size=256, train=False)
    x, y = data[0]
    assert len(data) == 200 and x.shape == (3, 256, 256)
    assert x.mean() > 0.8  # the edge map: mostly white
