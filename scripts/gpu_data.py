"""Pack a training set small enough to travel to a lent GPU machine (64 MiB), and unpack it there.

    python scripts/gpu_data.py pack --train DIR --extra DIR --photos ORIGINALS --val DIR --out pack.tar
    python scripts/gpu_data.py unpack pack.tar --out DATA      # DATA/train, DATA/extra, DATA/val
    python scripts/gpu_data.py pack-weights WEIGHTS --out W8   # a generator to start from, in int8
    python scripts/gpu_data.py unpack-weights W8 --out WEIGHTS

A 10M-parameter generator is 21 MB even in fp16, too much beside a 52 MB pack; in int8, with a
scale per slice of each weight's first dimension, it is 11 MB. Each weight is then off by at most
1/254 of its slice's largest; on edges2shoes the outputs moved by 0.003 on average (in [-1, 1]):
a starting point to train on, not a model to ship.

AB pairs of edge map | photo become: the photo as a WebP (quality 85, PHOTO_SIZE px, or the
original photo of the same name under --photos, at its own size) and the edge map as bits
(black where < 128), all of them in one LZMA-compressed array. The edge maps of the pix2pix
datasets are 1-pixel black lines, so nothing of them is lost; the photos lose a little to
the second lossy pass. Unpacking writes ordinary 256x256 AB pairs again.
"""

from __future__ import annotations

import argparse
import functools
import io
import lzma
import shutil
import sys
import tarfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from train.data import PairedImageFolder

ROOT = Path(__file__).resolve().parents[1]

SIZE = 256
QUALITY = 85  # WebP quality of the photos: what lets 15,700 pairs travel in under 64 MiB


@functools.lru_cache(maxsize=4)
def pairs_in(folder: str) -> PairedImageFolder:
    return PairedImageFolder(folder, "AtoB", SIZE)


def pack_pair(args: tuple[str, int, int, str | None]) -> tuple[bytes, np.ndarray]:
    folder, index, photo_size, original = args
    edges, photo = pairs_in(folder).load_pair(index)
    photo = Image.open(original).convert("RGB") if original else photo.resize((photo_size, photo_size), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    photo.save(buf, "WEBP", quality=QUALITY, method=6)
    bits = np.packbits(np.asarray(edges.convert("L").resize((SIZE, SIZE))) < 128)
    return buf.getvalue(), bits


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def pack(groups: dict[str, list[Path]], out: Path, photo_size: int, photos: Path | None = None) -> None:
    originals = {p.stem: str(p) for p in photos.rglob("*.jpg")} if photos else {}
    with tarfile.open(out, "w") as tar:
        for group, folders in groups.items():
            sets = [PairedImageFolder(f, "AtoB", SIZE) for f in folders]
            jobs = [(str(d.root), i, photo_size, originals.get(a.stem)) for d in sets for i, (a, _) in enumerate(d.items)]
            with ProcessPoolExecutor() as pool:
                packed = list(tqdm(pool.map(pack_pair, jobs, chunksize=64), total=len(jobs), desc=f"packing {group}"))
            # One blob of WebPs and their offsets: a tar header per small file would add 512 bytes or more.
            offsets = np.cumsum([0] + [len(w) for w, _ in packed])
            add_bytes(tar, f"{group}/photos.webp.bin", b"".join(w for w, _ in packed))
            buf = io.BytesIO()
            np.save(buf, offsets)
            add_bytes(tar, f"{group}/photos.offsets.npy", buf.getvalue())
            edges = io.BytesIO()
            np.save(edges, np.stack([b for _, b in packed]))
            add_bytes(tar, f"{group}/edges.npy.xz", lzma.compress(edges.getvalue(), preset=9))
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB")


def unpack(pack_file: Path, out: Path) -> None:
    with tarfile.open(pack_file) as tar:
        members = {m.name: m for m in tar.getmembers()}
        for group in sorted({name.split("/")[0] for name in members}):
            bits = np.load(io.BytesIO(lzma.decompress(tar.extractfile(members[f"{group}/edges.npy.xz"]).read())))
            (out / group).mkdir(parents=True, exist_ok=True)
            blob = tar.extractfile(members[f"{group}/photos.webp.bin"]).read()
            offsets = np.load(io.BytesIO(tar.extractfile(members[f"{group}/photos.offsets.npy"]).read()))
            jobs = [(blob[offsets[k] : offsets[k + 1]], bits[k], out / group / f"{k:06d}.png") for k in range(len(bits))]
            with ProcessPoolExecutor() as pool:
                list(tqdm(pool.map(write_pair, jobs, chunksize=64), total=len(jobs), desc=f"unpacking {group}"))


def write_pair(job: tuple[bytes, np.ndarray, Path]) -> None:
    webp, bits, dst = job
    photo = Image.open(io.BytesIO(webp)).convert("RGB")
    lines = np.unpackbits(bits)[: SIZE * SIZE].reshape(SIZE, SIZE).astype(bool)
    ab = Image.new("RGB", (2 * SIZE, SIZE), "white")
    ab.paste(Image.fromarray(np.where(lines, 0, 255).astype(np.uint8)).convert("RGB"), (0, 0))
    ab.paste(photo.resize((SIZE, SIZE), Image.Resampling.BICUBIC), (SIZE, 0))
    ab.save(dst, compress_level=1)


def pack_weights(folder: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    packed = {}
    for name, w in load_file(str(folder / "model.safetensors")).items():
        if not w.is_floating_point() or w.dim() < 2:  # biases, norms' affine parameters, counters: as they are
            packed[name] = w.float() if w.is_floating_point() else w
            continue
        scale = w.float().flatten(1).abs().amax(1).clamp(min=1e-12) / 127
        packed[name + ".int8"] = (w.float() / scale.view(-1, *[1] * (w.dim() - 1))).round().to(torch.int8)
        packed[name + ".scale"] = scale
    save_file(packed, str(out / "model.int8.safetensors"))
    shutil.copy(folder / "config.json", out / "config.json")


def unpack_weights(folder: Path, out: Path) -> None:
    packed = load_file(str(folder / "model.int8.safetensors"))
    state = {n: w for n, w in packed.items() if not n.endswith((".int8", ".scale"))}
    for name in (n[: -len(".int8")] for n in packed if n.endswith(".int8")):
        q, scale = packed[name + ".int8"], packed[name + ".scale"]
        state[name] = q.float() * scale.view(-1, *[1] * (q.dim() - 1))
    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(folder / "config.json", out / "config.json")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("pack")
    a.add_argument("--train", type=Path, action="append", default=[], help="real training pairs")
    a.add_argument("--extra", type=Path, action="append", default=[], help="made pairs")
    a.add_argument("--val", type=Path, action="append", default=[])
    a.add_argument("--photos", type=Path, help="original photos, used in place of a pair's photo of the same name")
    a.add_argument("--photo-size", type=int, default=143, help="the photos' size when no original is used")
    a.add_argument("--out", type=Path, required=True)
    u = sub.add_parser("unpack")
    u.add_argument("pack", type=Path)
    u.add_argument("--out", type=Path, required=True)
    for command in ("pack-weights", "unpack-weights"):
        w = sub.add_parser(command)
        w.add_argument("folder", type=Path, help="a weights folder (pack-weights) or a packed one (unpack-weights)")
        w.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    if args.command == "pack-weights":
        pack_weights(args.folder, args.out)
    elif args.command == "unpack-weights":
        unpack_weights(args.folder, args.out)
    elif args.command == "pack":
        groups = {k: v for k, v in (("train", args.train), ("extra", args.extra), ("val", args.val)) if v}
        pack(groups, args.out, args.photo_size, args.photos)
    else:
        unpack(args.pack, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
