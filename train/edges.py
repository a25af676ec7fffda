"""The HED-look edge detector: train it on (photo, edge map) pairs, and score edge maps.

    python -m train.edges train --data ../shared/data/edges2shoes/train --out ~/pix2pix-runs/edges
    python -m train.edges score --data ../shared/data/edges2shoes/val --detector weights/shoe-edges
    python -m train.edges score --data ../shared/data/edges2shoes/val --canny

The detector is a small U-Net (the generator's architecture, one output channel) whose output
is an edge image: -1 (black) on an edge, +1 (white) off it. It learns from the dataset's own
HED edge maps with HED's class-balanced cross-entropy (Xie & Tu 2015), since edge pixels are
a few percent of the image. model.edges.postprocess_edges then thins its output the way the
pix2pix authors post-processed HED. The threshold is chosen on held-out training pairs.

Scores: precision, recall and F of edge pixels against the dataset's edge maps, where a pixel
counts as matched when the other map has an edge within `tolerance` pixels (2 by default).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from scipy import ndimage
from tqdm import tqdm

from model import GeneratorConfig, UNetGenerator, save_generator
from model.edges import canny_edges, edge_probability, non_max_suppression, postprocess_edges
from model.images import to_tensor
from model.networks import inference_network
from model.sketch import ink
from model.translate import Translator

from .data import PairedImageFolder
from .plots import save_sample_grid


def load_pairs(folders: list[Path]) -> tuple[torch.Tensor, torch.Tensor]:
    """(photos, edges) as uint8 tensors (N, 3, 256, 256) and (N, 1, 256, 256), edges 1 on a line."""
    photos, edges = [], []
    for folder in folders:
        data = PairedImageFolder(folder, "BtoA", 256)
        for i in tqdm(range(len(data)), desc=f"loading {folder}", unit="pair"):
            photo, edge = data.load_pair(i)
            photos.append(torch.from_numpy(np.array(photo.resize((256, 256)))).permute(2, 0, 1))
            edges.append(torch.from_numpy(ink(edge.convert("L").resize((256, 256))))[None])
    return torch.stack(photos), torch.stack(edges).to(torch.uint8)


def balanced_bce(edge_image: torch.Tensor, lines: torch.Tensor) -> torch.Tensor:
    """HED's loss: BCE with each class weighted by the other's share, per image."""
    prob = ((1 - edge_image) / 2).clamp(1e-6, 1 - 1e-6)  # the edge image is -1 on a line
    lines = lines.float()
    positive = lines.mean((1, 2, 3), keepdim=True)
    weight = torch.where(lines > 0, 1 - positive, positive)
    return (weight * F.binary_cross_entropy(prob, lines, reduction="none")).sum((1, 2, 3)).mean() / lines[0].numel()


def match_scores(predicted: np.ndarray, truth: np.ndarray, tolerance: float = 2.0) -> tuple[int, int, int, int]:
    """(matched predicted, predicted, matched true, true) edge pixel counts at the given distance."""
    near_truth = ndimage.distance_transform_edt(~truth) <= tolerance
    near_predicted = ndimage.distance_transform_edt(~predicted) <= tolerance
    return int((predicted & near_truth).sum()), int(predicted.sum()), int((truth & near_predicted).sum()), int(truth.sum())


def f_score(counts) -> dict:
    mp, p, mt, t = np.sum(np.asarray(counts), axis=0)
    precision, recall = mp / max(p, 1), mt / max(t, 1)
    return {"precision": float(precision), "recall": float(recall),
            "f": float(2 * precision * recall / max(precision + recall, 1e-12)), "count": len(counts)}  # fmt: skip


def score(detect, folder: Path, tolerance: float = 2.0, limit: int | None = None, grid: Path | None = None) -> dict:
    """detect(photo PIL) -> bool lines (256, 256); scored against the folder's edge maps.

    grid: also write photo | the dataset's edges | detected edges for the first 6 pairs.
    """
    data = PairedImageFolder(folder, "BtoA", 256)
    counts, rows = [], []
    for i in tqdm(range(min(limit or len(data), len(data))), desc="scoring edges", unit="img"):
        photo, edges = data.load_pair(i)
        truth = ink(edges.convert("L").resize((256, 256)))
        detected = detect(photo)
        counts.append(match_scores(detected, truth, tolerance))
        if grid and i < 6:
            rows.append([to_tensor(photo.resize((256, 256))), *(torch.from_numpy(np.where(m, -1.0, 1.0))[None].float() for m in (truth, detected))])
    if grid:
        save_sample_grid(grid, *(torch.stack(column) for column in zip(*rows)))
    return f_score(counts)


def choose_threshold(translator: Translator, photos: torch.Tensor, edges: torch.Tensor) -> tuple[float, dict]:
    """The threshold with the best F on held-out training pairs."""
    probs = [non_max_suppression(edge_probability(Image.fromarray(p.permute(1, 2, 0).numpy()), 256, translator))
             for p in tqdm(photos, desc="choosing the threshold", unit="img")]  # fmt: skip
    truths = [e[0].numpy().astype(bool) for e in edges]
    best = (0.0, {"f": -1})
    for threshold in np.arange(0.2, 0.95, 0.05):
        result = f_score([match_scores(postprocess_edges(p, threshold, suppressed=True), t) for p, t in zip(probs, truths)])
        if result["f"] > best[1]["f"]:
            best = (round(float(threshold), 2), result)
    return best


def train(folders: list[Path], out: Path, epochs: int, batch_size: int, ngf: int, lr: float, held_out: int, seed: int) -> dict:
    torch.manual_seed(seed)
    photos, edges = load_pairs(folders)
    order = torch.randperm(len(photos))
    held, train_idx = order[:held_out], order[held_out:]
    net = UNetGenerator(GeneratorConfig(image_size=256, in_channels=3, out_channels=1, ngf=ngf, norm="instance", dropout=0.0))
    net = net.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.999))
    steps = epochs * (len(train_idx) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.1)
    out.mkdir(parents=True, exist_ok=True)
    log, started = [], time.perf_counter()
    bar = tqdm(total=steps, unit="step", dynamic_ncols=True)
    for epoch in range(epochs):
        perm = train_idx[torch.randperm(len(train_idx))]
        for start in range(0, len(perm) - batch_size + 1, batch_size):
            idx = perm[start : start + batch_size]
            x = photos[idx].float().div(127.5).sub(1)
            y = edges[idx]
            if torch.rand(()) < 0.5:
                x, y = x.flip(3), y.flip(3)
            loss = balanced_bce(net(x.contiguous(memory_format=torch.channels_last)), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
            bar.update()
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.4f}", refresh=False)
            log.append(loss.item())
        print(json.dumps({"epoch": epoch, "loss": float(np.mean(log[-50:])), "elapsed_s": round(time.perf_counter() - started)}), flush=True)
        save_generator(out / "detector", net, {"task": "photo-to-edges"})
    bar.close()
    translator = Translator(net.eval(), device="cpu")
    threshold, held_scores = choose_threshold(translator, photos[held], edges[held])
    with torch.no_grad():
        sample = photos[held[:6]].float().div(127.5).sub(1)
        fake = inference_network(net)(sample)
    save_sample_grid(out / "samples.png", sample, fake, edges[held[:6]].float().mul(-2).add(1))
    elapsed = time.perf_counter() - started
    meta = {"task": "photo-to-edges", "threshold": threshold, "held_out_scores": held_scores,
            "train_data": [str(f) for f in folders], "epochs": epochs, "batch_size": batch_size, "lr": lr,
            "train_seconds": round(elapsed)}  # fmt: skip
    save_generator(out / "detector", net, meta)
    return meta


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.edges", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the detector on (edge map | photo) pairs")
    t.add_argument("--data", type=Path, action="append", required=True, help="a folder of AB pairs (repeatable)")
    t.add_argument("--out", type=Path, required=True, help="run folder; the weights go to OUT/detector")
    t.add_argument("--epochs", type=int, default=12)
    t.add_argument("--batch-size", type=int, default=8)
    t.add_argument("--ngf", type=int, default=16, help="width of the U-Net's first layer")
    t.add_argument("--lr", type=float, default=1e-3, help="peak learning rate of the one-cycle schedule")
    t.add_argument("--held-out", type=int, default=100, help="training pairs kept aside to choose the threshold")
    t.add_argument("--seed", type=int, default=0)
    s = sub.add_parser("score", help="precision, recall and F against a folder's edge maps")
    s.add_argument("--data", type=Path, required=True)
    s.add_argument("--detector", type=Path, default=None, help="a detector weights folder (default: the shipped one)")
    s.add_argument("--canny", action="store_true", help="score the Canny fallback instead")
    s.add_argument("--tolerance", type=float, default=2.0)
    s.add_argument("--limit", type=int, default=None)
    s.add_argument("--grid", type=Path, default=None, help="write photo | dataset edges | detected edges for 6 pairs")
    args = p.parse_args(argv)
    if args.command == "train":
        result = train(args.data, args.out, args.epochs, args.batch_size, args.ngf, args.lr, args.held_out, args.seed)
    else:
        from model.edges import edge_detector, photo_to_edges

        detector = None if args.canny else edge_detector(args.detector) if args.detector else edge_detector()
        if not args.canny and detector is None:
            p.error("no detector weights found; pass --detector DIR or --canny")

        def detect(photo):
            lines = canny_edges(photo) if args.canny else photo_to_edges(photo, detector=detector)
            return ink(lines)

        result = {"detector": "canny" if args.canny else str(args.detector or "weights/shoe-edges"),
                  "data": str(args.data), "tolerance": args.tolerance,
                  **score(detect, args.data, args.tolerance, args.limit, args.grid)}  # fmt: skip
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
