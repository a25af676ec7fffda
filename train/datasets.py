"""Dataset tools: download an official pix2pix dataset, combine A/B folders, make edge maps, keep well-outlined pairs.

    python -m train.datasets download facades --dest data/
    python -m train.datasets combine --a photos/A --b photos/B --out data/mine/train
    python -m train.datasets edges --photos my_bags/ --out ~/data/edges2bags/train
    python -m train.datasets edges --photos ../shared/data/shoe-photos --out ~/pix2pix-data/shoe-photos-edges
    python -m train.datasets outlined --pairs ~/pix2pix-data/shoe-photos-edges --out ~/pix2pix-data/shoe-photos-outlined

Downloads come from the pix2pix authors' server (or --base-url / PIX2PIX_DATASETS_URL),
stream to a temporary file with a progress bar, are checked against a SHA-256 when one
is known or given, and are extracted with tarfile's "data" filter, which refuses absolute
paths, '..' and links that leave the destination.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from model.edges import photo_to_edges
from model.images import to_rgb
from model.files import IMAGE_SUFFIXES, open_image
from model.files import atomic_write

from .data import DatasetError, list_images, load_image, split_ab
from .realism import off_shoe_grey

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DEFAULT_BASE_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets"
DATASETS = ("facades", "cityscapes", "maps", "edges2shoes", "edges2handbags", "night2day")
# The authors publish no checksums. Fill in a digest here once verified, or pass --sha256.
KNOWN_SHA256: dict[str, str] = {}


def download(name: str, dest: Path, base_url: str | None = None, sha256: str | None = None) -> Path:
    """Download NAME.tar.gz and extract it into dest; returns dest/NAME."""
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    base_url = (base_url or os.environ.get("PIX2PIX_DATASETS_URL") or DEFAULT_BASE_URL).rstrip("/")
    url = f"{base_url}/{name}.tar.gz"
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / f"{name}.tar.gz"
    digest = hashlib.sha256()

    def fetch(tmp):
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as f:
                total = int(response.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc=f"{name}.tar.gz") as bar:
                    while chunk := response.read(1 << 20):
                        f.write(chunk)
                        digest.update(chunk)
                        bar.update(len(chunk))
        except OSError as e:
            raise DatasetError(f"could not download {url}: {e}") from None

    atomic_write(archive, fetch)
    expected = sha256 or KNOWN_SHA256.get(name)
    actual = digest.hexdigest()
    if expected and actual != expected.lower():
        archive.unlink()
        raise DatasetError(f"{url}: SHA-256 is {actual}, expected {expected}. The download is corrupt or altered; deleted it.")
    print(f"{archive.name}: sha256 {actual}" + (" (verified)" if expected else " (no known checksum to compare)"))
    extract(archive, dest)
    archive.unlink()
    return dest / name


def extract(archive: Path, dest: Path) -> None:
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in tqdm(members, desc="extracting", unit="file"):
                tar.extract(member, dest, filter="data")
    except tarfile.FilterError as e:
        raise DatasetError(f"{archive} tries to write outside {dest} ({e}); refusing to extract it.") from None
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DatasetError(f"{archive} is not a complete tar.gz archive ({e}); delete it and download again.") from None


def combine(a_dir: Path, b_dir: Path, out: Path) -> int:
    """Write A|B side-by-side JPEGs for each pair of same-named files; B is resized to A's size."""
    a_files = {p.stem: p for p in list_images(Path(a_dir))}
    b_files = {p.stem: p for p in list_images(Path(b_dir))}
    names = sorted(set(a_files) & set(b_files))
    if not names:
        raise DatasetError(f"{a_dir} and {b_dir} have no file names in common.")
    out.mkdir(parents=True, exist_ok=True)
    for stem in tqdm(names, desc="combining", unit="pair"):
        a, b = load_image(a_files[stem]), load_image(b_files[stem])
        b = b.resize(a.size, Image.Resampling.BICUBIC) if b.size != a.size else b
        ab = Image.new("RGB", (2 * a.width, a.height))
        ab.paste(a, (0, 0))
        ab.paste(b, (a.width, 0))
        ab.save(out / f"{stem}.jpg", quality=95)
    return len(names)


def edge_pair(path: Path, size: int = 256) -> Image.Image:
    """One AB pair (edge map | photo), the photo stretched to size x size as in edges2shoes."""
    photo = load_image(path).resize((size, size), Image.Resampling.BICUBIC)
    ab = Image.new("RGB", (2 * size, size))
    ab.paste(photo_to_edges(photo, size), (0, 0))
    ab.paste(photo, (size, 0))
    return ab


def _write_edge_pair(job: tuple[Path, Path, int]) -> str | None:
    path, dst, size = job
    try:
        edge_pair(path, size).save(dst, quality=95)
    except DatasetError as e:
        return str(e)
    return None


def make_edge_pairs(photos: Path, out: Path, size: int = 256, workers: int | None = None) -> int:
    """edges2<anything>: an AB pair (edge map | photo) for each photo under photos/ (subfolders too).

    Edge maps come from model.edges.photo_to_edges: the learned HED-look detector when its
    weights are in weights/, Canny otherwise. Unreadable photos are reported and skipped.
    """
    files = sorted(p for p in Path(photos).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DatasetError(f"{photos} holds no images.")
    refuse_inside_project(out)
    out.mkdir(parents=True, exist_ok=True)
    names = [p.relative_to(photos).with_suffix("").as_posix().replace("/", "_") for p in files]
    if len(set(names)) != len(names):
        names = [p.stem for p in files]
    jobs = [(p, out / f"{name}.jpg", size) for p, name in zip(files, names)]
    workers = workers or os.cpu_count() or 1
    with multiprocessing.get_context("spawn").Pool(workers, initializer=_one_thread) as pool:
        failed = [e for e in tqdm(pool.imap(_write_edge_pair, jobs, chunksize=16), total=len(jobs), desc="edges", unit="img") if e]
    for message in failed:
        print(f"skipped {message}", file=sys.stderr)
    return len(jobs) - len(failed)


def outlined_pairs(pairs: Path, out: Path, max_outside: float = 0.005) -> tuple[int, int]:
    """Keep the AB pairs (edge map | photo) whose edge map outlines the whole shoe: at most
    max_outside of the photo's pixels outside the drawn region (train.realism.off_shoe_grey)
    are not white. Made edges that miss a pale sole or a shadowed heel would teach a model to
    paint past the lines people draw. Kept pairs are hard-linked (copied across devices);
    unreadable files are reported and skipped. Returns (kept, pairs read)."""
    if not Path(pairs).is_dir() or not (files := list_images(pairs)):
        raise DatasetError(f"{pairs} holds no images; pass the folder of AB pairs that 'edges' wrote.")
    refuse_inside_project(out)
    if Path(out).exists() and any(Path(out).iterdir()):
        raise DatasetError(f"{out} is not empty; give a new folder, so that it holds exactly the kept pairs.")
    out.mkdir(parents=True, exist_ok=True)
    kept, read = 0, 0
    for path in tqdm(files, desc="outlined", unit="pair"):
        try:
            ab = to_rgb(open_image(path))
        except ValueError as e:
            print(f"skipped {e}", file=sys.stderr)
            continue
        if abs(ab.width - 2 * ab.height) > 1:
            raise DatasetError(f"{path} is {ab.width}x{ab.height}, not an AB pair (edge map | photo, twice as wide "
                               "as high); pass the folder of AB pairs that 'edges' wrote.")  # fmt: skip
        read += 1
        if is_outlined(ab, max_outside):
            link_or_copy(path, out / path.name)
            kept += 1
    return kept, read


def is_outlined(ab: Image.Image, max_outside: float) -> bool:
    edges, photo = split_ab(ab)
    return off_shoe_grey(photo, edges) <= max_outside


def link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(src, dst)


def refuse_inside_project(out: Path) -> None:
    """Dataset images are never committed, so they are never written inside the checkout."""
    if Path(out).resolve().is_relative_to(PROJECT_ROOT):
        raise DatasetError(f"{out} is inside the project checkout; write data outside it (dataset images are never committed).")


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)  # one process per core


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.datasets", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("download", help="download and extract an official pix2pix dataset")
    d.add_argument("name", choices=DATASETS)
    d.add_argument("--dest", type=Path, default=Path("data"))
    d.add_argument("--base-url", default=None)
    d.add_argument("--sha256", default=None, help="expected SHA-256 of the archive")
    c = sub.add_parser("combine", help="combine A/ and B/ folders into AB images")
    c.add_argument("--a", type=Path, required=True)
    c.add_argument("--b", type=Path, required=True)
    c.add_argument("--out", type=Path, required=True)
    e = sub.add_parser("edges", help="make edge-map | photo pairs from a folder of photos")
    e.add_argument("--photos", type=Path, required=True)
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--size", type=int, default=256)
    e.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    o = sub.add_parser("outlined", help="keep the pairs whose edge map outlines the whole shoe")
    o.add_argument("--pairs", type=Path, required=True)
    o.add_argument("--out", type=Path, required=True)
    o.add_argument("--max-outside", type=float, default=0.005,
                   help="largest share of non-white photo pixels outside the drawn region (default 0.005)")  # fmt: skip
    args = p.parse_args(argv)
    try:
        if args.command == "download":
            print(f"extracted to {download(args.name, args.dest, args.base_url, args.sha256)}")
        elif args.command == "combine":
            print(f"wrote {combine(args.a, args.b, args.out)} pairs to {args.out}")
        elif args.command == "outlined":
            kept, read = outlined_pairs(args.pairs, args.out, args.max_outside)
            print(f"kept {kept} of {read} pairs in {args.out}")
        else:
            print(f"wrote {make_edge_pairs(args.photos, args.out, args.size, args.workers)} pairs to {args.out}")
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
