import hashlib
import http.server
import io
import tarfile
import threading
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.conftest import synthetic_pair
from train.data import PairedImageFolder
from train.datasets import DatasetError, combine, download, main


def make_archive(path: Path, members: dict[str, bytes]) -> bytes:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path.read_bytes()


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp/served, as the dataset host would."""
    root = tmp_path / "served"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def ab_png(i: int) -> bytes:
    a, b = synthetic_pair(32, i)
    ab = Image.new("RGB", (64, 32))
    ab.paste(a, (0, 0))
    ab.paste(b, (32, 0))
    return png_bytes(ab)


def test_download_checks_and_extracts(server, tmp_path, capsys):
    root, url = server
    data = make_archive(root / "facades.tar.gz", {f"facades/train/{i}.png": ab_png(i) for i in range(3)})
    digest = hashlib.sha256(data).hexdigest()
    folder = download("facades", tmp_path / "data", base_url=url, sha256=digest)
    assert sorted(p.name for p in (folder / "train").iterdir()) == ["0.png", "1.png", "2.png"]
    assert len(PairedImageFolder(folder / "train", size=32)) == 3
    assert not (tmp_path / "data" / "facades.tar.gz").exists()
    assert f"sha256 {digest} (verified)" in capsys.readouterr().out


def test_download_refuses_a_wrong_checksum(server, tmp_path):
    root, url = server
    make_archive(root / "maps.tar.gz", {"maps/train/0.png": ab_png(0)})
    with pytest.raises(DatasetError, match="SHA-256 is .* expected 00"):
        download("maps", tmp_path / "data", base_url=url, sha256="00" * 32)
    assert not (tmp_path / "data" / "maps").exists() and not list((tmp_path / "data").iterdir())


def test_download_refuses_path_traversal(server, tmp_path):
    root, url = server
    make_archive(root / "night2day.tar.gz", {"../../escaped.txt": b"gotcha"})
    with pytest.raises(DatasetError, match="outside"):
        download("night2day", tmp_path / "data", base_url=url)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path.parent / "escaped.txt").exists()


def test_download_reports_a_missing_file_and_unknown_names(server, tmp_path):
    _, url = server
    with pytest.raises(DatasetError, match="could not download .*cityscapes.tar.gz.*404"):
        download("cityscapes", tmp_path / "data", base_url=url)
    assert main(["download", "edges2shoes", "--dest", str(tmp_path), "--base-url", url]) == 2


def test_truncated_archive_is_explained(server, tmp_path):
    root, url = server
    data = make_archive(root / "edges2shoes.tar.gz", {f"edges2shoes/train/{i}.png": ab_png(i) for i in range(5)})
    (root / "edges2shoes.tar.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="not a complete tar.gz archive"):
        download("edges2shoes", tmp_path / "data", base_url=url)


def test_combine_a_and_b_folders(tmp_path):
    for i in range(3):
        a, b = synthetic_pair(40, i)
        for name, im in (("A", a), ("B", b.resize((80, 80)))):  # B at another size is resized
            (tmp_path / name).mkdir(exist_ok=True)
            im.save(tmp_path / name / f"{i}.png")
    assert combine(tmp_path / "A", tmp_path / "B", tmp_path / "AB") == 3
    assert Image.open(tmp_path / "AB" / "0.jpg").size == (80, 40)
    assert len(PairedImageFolder(tmp_path / "AB", size=32)) == 3


def test_edge_pairs_from_photos(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(2):
        _, b = synthetic_pair(100, i)
        b.save(photos / f"p{i}.jpg")
    assert main(["edges", "--photos", str(photos), "--out", str(tmp_path / "pairs"), "--size", "64"]) == 0
    ab = np.asarray(Image.open(tmp_path / "pairs" / "p0.jpg").convert("L"))
    assert ab.shape == (64, 128)
    edges = ab[:, :64]
    assert (edges < 128).sum() > 20 and (edges > 200).mean() > 0.8  # dark lines on white


def outlined_pair(spill: bool) -> Image.Image:
    """An edge map with a box outline | a photo of a grey shoe filling the box, spilling below it if asked."""
    edges = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(edges).rectangle((10, 20, 54, 40), outline="black")
    photo = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(photo).rectangle((10, 20, 54, 58 if spill else 40), fill=(90, 60, 40))
    ab = Image.new("RGB", (128, 64), "white")
    ab.paste(edges, (0, 0))
    ab.paste(photo, (64, 0))
    return ab


def test_outlined_keeps_only_pairs_whose_edges_outline_the_whole_shoe(tmp_path, capsys):
    pairs = tmp_path / "pairs"
    pairs.mkdir()
    outlined_pair(spill=False).save(pairs / "clean.png")
    outlined_pair(spill=True).save(pairs / "spills.png")  # edges missed the lower part of the shoe
    assert main(["outlined", "--pairs", str(pairs), "--out", str(tmp_path / "kept")]) == 0
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == ["clean.png"]
    assert "kept 1 of 2 pairs" in capsys.readouterr().out
    assert (pairs / "spills.png").exists()  # the source folder is left as it was


def test_outlined_explains_a_missing_folder_and_refuses_to_write_into_the_checkout(tmp_path, capsys):
    assert main(["outlined", "--pairs", str(tmp_path / "nowhere"), "--out", str(tmp_path / "kept")]) == 2
    assert "holds no images" in capsys.readouterr().err
    (tmp_path / "pairs").mkdir()
    outlined_pair(spill=False).save(tmp_path / "pairs" / "a.png")
    inside = Path(__file__).resolve().parents[2] / "data-should-not-be-here"
    assert main(["outlined", "--pairs", str(tmp_path / "pairs"), "--out", str(inside)]) == 2
    assert "inside the project checkout" in capsys.readouterr().err
    assert not inside.exists()


def test_outlined_skips_unreadable_files_and_refuses_what_is_not_a_pair_or_a_fresh_folder(tmp_path, capsys):
    pairs = tmp_path / "pairs"
    pairs.mkdir()
    outlined_pair(spill=False).save(pairs / "clean.png")
    (pairs / "broken.png").write_bytes(b"not a png")
    assert main(["outlined", "--pairs", str(pairs), "--out", str(tmp_path / "kept")]) == 0
    out = capsys.readouterr()
    assert "broken.png" in out.err and "kept 1 of 1 pairs" in out.out
    # An existing folder (the source itself included) would mix old and new pairs, or lose the source.
    assert main(["outlined", "--pairs", str(pairs), "--out", str(pairs)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in pairs.iterdir()) == ["broken.png", "clean.png"]
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (64, 64), "white").save(photos / "photo.png")
    assert main(["outlined", "--pairs", str(photos), "--out", str(tmp_path / "kept2")]) == 2
    assert "not an AB pair" in capsys.readouterr().err
