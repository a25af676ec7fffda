"""The FCN-score (Isola et al. 2017, section 4.2): segment generated photos with a network trained on
real ones, and score how well the segmentation recovers the input labels.

    python -m train.segment train --data ../shared/data/cityscapes --out weights/cityscapes-segmenter
    python -m train.segment score --segmenter weights/cityscapes-segmenter --data ../shared/data/cityscapes/val --card

The segmenter is torchvision's LR-ASPP MobileNetV3-Large (Howard et al. 2019), trained from
scratch here (pretrained weights cannot be downloaded) on the real photos of the train split,
with the classes read from the label colours through the palette (nearest colour, so JPEG
noise does not matter). Void pixels are ignored. Scores follow Long et al. 2015 (FCN), as the
paper's do: per-pixel accuracy, mean per-class accuracy and mean class IoU, over the classes
present in the ground truth.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file, save_file
from torchvision.models.segmentation import lraspp_mobilenet_v3_large
from tqdm import tqdm

from model.images import to_tensor
from model.files import atomic_write
from model.labels import nearest_colour

from .data import DatasetError, PairedImageFolder

PRESENTATIONS = Path(__file__).resolve().parent / "presentations"
IGNORE = 255  # void pixels: neither trained on nor scored
MEAN, STD = torch.tensor([0.485, 0.456, 0.406])[:, None, None], torch.tensor([0.229, 0.224, 0.225])[:, None, None]


def default_palette(name: str = "cityscapes") -> dict[str, tuple[int, int, int]]:
    """The dataset's label colours, from the presentation of its model (train/presentations; void included)."""
    palette = json.loads((PRESENTATIONS / f"{name}.json").read_text())["palette"]
    return {k: tuple(v) for k, v in palette.items()}


@dataclass
class SegmenterConfig:
    classes: list[str] = field(default_factory=list)  # the classes scored, in output order (void excluded)
    colours: list[list[int]] = field(default_factory=list)  # their label colours
    void_colours: list[list[int]] = field(default_factory=list)  # label colours that are ignored
    image_size: int = 256  # photos are scored at this size
    architecture: str = "lraspp_mobilenet_v3_large"


def config_for(palette: dict[str, tuple[int, int, int]], void: tuple[str, ...] = ("void",)) -> SegmenterConfig:
    return SegmenterConfig(classes=[k for k in palette if k not in void], colours=[list(palette[k]) for k in palette if k not in void],
                           void_colours=[list(palette[k]) for k in void if k in palette])  # fmt: skip


def colours_to_classes(labels: Image.Image, config: SegmenterConfig) -> np.ndarray:
    """An RGB label map -> class indices (uint8), each pixel taking its nearest palette colour; IGNORE for void."""
    nearest = nearest_colour(labels, config.colours + config.void_colours)
    return np.where(nearest < len(config.colours), nearest, IGNORE).astype(np.uint8)


def build_segmenter(config: SegmenterConfig) -> torch.nn.Module:
    if config.architecture != "lraspp_mobilenet_v3_large":
        raise ValueError(f"unknown segmenter architecture {config.architecture!r}")
    return lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=len(config.classes))


class Segmenter:
    """Callable: (N, 3, H, W) photos in [-1, 1] -> (N, H, W) class indices."""

    def __init__(self, net: torch.nn.Module, config: SegmenterConfig, device="cpu"):
        self.net, self.config, self.device = net.eval().to(device), config, torch.device(device)

    @torch.inference_mode()
    def __call__(self, photos: torch.Tensor) -> torch.Tensor:
        x = ((photos.to(self.device) + 1) / 2 - MEAN.to(self.device)) / STD.to(self.device)
        return self.net(x)["out"].argmax(1).cpu()


def save_segmenter(folder: Path, net: torch.nn.Module, config: SegmenterConfig, meta: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16) if v.is_floating_point() else v for k, v in net.state_dict().items()}
    atomic_write(folder / "model.safetensors", lambda p: save_file(state, str(p)))
    (folder / "config.json").write_text(json.dumps({"task": "segment", "segmenter": asdict(config), **meta}, indent=2) + "\n")


def write_segmenter_card(folder: Path, scores: dict, data: Path) -> None:
    """folder/README.md: what the segmenter is for, how it was trained, and its scores on real val photos."""
    meta = json.loads((folder / "config.json").read_text())
    config = SegmenterConfig(**meta["segmenter"])
    command = (f"python -m train.segment train --data {Path(meta.get('trained_on', 'DATA/train')).parent} --out {folder} "
               f"--epochs {meta.get('epochs')} --batch-size {meta.get('batch_size')} --crop {meta.get('crop')} --lr {meta.get('lr')}")  # fmt: skip
    text = f"""---
license: other
license_name: training-data-terms
library_name: pytorch
pipeline_tag: image-segmentation
datasets:
- cityscapes
---

# Cityscapes segmenter for the FCN-score

The judge of the label -> photo models (Isola et al. 2017, section 4.2): a semantic segmentation
network trained on real Cityscapes photos. A generated street photo is segmented, and the
segmentation is scored against the label map it was generated from.

torchvision's {config.architecture} (LR-ASPP, Howard et al. 2019), {len(config.classes)} classes
({", ".join(config.classes)}; void ignored), trained from scratch (no pretrained weights can be
downloaded where it was made) on the {Path(meta.get('trained_on', '')).name or 'train'} split's real photos at
{config.image_size} px, random {meta.get('crop')} px crops and mirroring, AdamW with a one-cycle
schedule, {meta.get('epochs')} epochs, {meta.get('cpu_minutes')} minutes of one CPU core. The classes come from
the label colours through the palette (nearest colour, so the JPEG noise of the pix2pix release
does not matter).

## Its own scores on the real val photos ({data})

`python -m train.segment score --segmenter {folder} --data {data} --card`; per-pixel accuracy,
mean per-class accuracy (over the classes in the ground truth) and mean class IoU (over the
classes in the ground truth or the prediction), as Long et al. 2015 compute them, at {config.image_size}x{config.image_size}:

| per-pixel acc. | per-class acc. | class IoU |
|---|---|---|
| {scores['per_pixel_acc']:.3f} | {scores['per_class_acc']:.3f} | {scores['class_iou']:.3f} |

These are the ceiling of any FCN-score through this segmenter (the paper's FCN-8s scored
0.80 / 0.26 / 0.21 on real photos). This one is a different network, trained from scratch on the
2,975 photos of the pix2pix release at 256 px, with classes read from JPEG'd label colours:
scores through it compare models with each other and with its own ceiling, not with the
paper's numbers.

## Reproduce

```bash
{command}
```

Data: Cityscapes (Cordts et al.); non-commercial use, no redistribution. The weights derive from it and carry its terms.
"""
    atomic_write(folder / "README.md", lambda p: Path(p).write_text(text))


def load_segmenter(folder: str | Path, device="cpu") -> Segmenter:
    folder = Path(folder)
    if not (folder / "config.json").is_file() or not (folder / "model.safetensors").is_file():
        raise FileNotFoundError(f"{folder}: no segmenter there (config.json and model.safetensors); "
                                f"train one with python -m train.segment train")  # fmt: skip
    config = SegmenterConfig(**json.loads((folder / "config.json").read_text())["segmenter"])
    net = build_segmenter(config)
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in load_file(folder / "model.safetensors").items()})
    return Segmenter(net, config, device)


class FCNScore:
    """Accumulates a confusion matrix; compute() gives the paper's three figures, as Long et al.'s
    score.py computes them: mean accuracy over the classes in the truth, mean IU over the classes
    in the truth or the prediction."""

    def __init__(self, num_classes: int):
        self.n = num_classes
        self.matrix = torch.zeros(num_classes, num_classes, dtype=torch.float64)  # rows: truth, columns: prediction

    def update(self, predicted: torch.Tensor, truth: torch.Tensor) -> None:
        predicted, truth = predicted.flatten().long(), truth.flatten().long()
        scored = truth != IGNORE
        pairs = truth[scored] * self.n + predicted[scored]
        self.matrix += torch.bincount(pairs, minlength=self.n * self.n).view(self.n, self.n).double()

    def compute(self) -> dict:
        m = self.matrix
        if m.sum() == 0:
            raise ValueError("no labelled pixels to score: are the label maps all void?")
        hits, truth, predicted = m.diag(), m.sum(1), m.sum(0)
        in_truth, in_either = truth > 0, (truth + predicted) > 0
        iou = hits / (truth + predicted - hits).clamp_min(1)
        return {"per_pixel_acc": float(hits.sum() / truth.sum()),
                "per_class_acc": float((hits[in_truth] / truth[in_truth]).mean()),
                "class_iou": float(iou[in_either].mean()), "classes_scored": int(in_truth.sum())}  # fmt: skip


# --------------------------------------------------------------------------- training


def load_split(folder: Path, config: SegmenterConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Photos (N, 3, S, S) uint8 and class maps (N, S, S) uint8 of a pix2pix cityscapes folder (photo | labels)."""
    pairs = PairedImageFolder(folder, "AtoB")
    size = config.image_size
    photos = torch.empty(len(pairs), 3, size, size, dtype=torch.uint8)
    classes = torch.empty(len(pairs), size, size, dtype=torch.uint8)
    for i in tqdm(range(len(pairs)), desc=f"loading {folder.name}", unit="pair"):
        photo, labels = pairs.load_pair(i)
        photos[i] = torch.from_numpy(np.array(photo.convert("RGB").resize((size, size), Image.Resampling.BICUBIC))).permute(2, 0, 1)
        classes[i] = torch.from_numpy(colours_to_classes(labels.resize((size, size), Image.Resampling.NEAREST), config))
    return photos, classes


def random_crops(photos, classes, idx, crop: int, g: torch.Generator):
    """One random crop window for the batch, mirrored half of the time; photos to [-1, 1]."""
    size = photos.shape[-1]
    top, left = (torch.randint(0, size - crop + 1, (2,), generator=g).tolist())
    x = photos[idx, :, top : top + crop, left : left + crop].float() / 127.5 - 1
    y = classes[idx, top : top + crop, left : left + crop].long()
    if torch.rand((), generator=g) < 0.5:
        x, y = x.flip(-1), y.flip(-1)
    return x, y


def train_segmenter(data: Path, out: Path, epochs: int, batch: int, crop: int, lr: float, seed: int = 0) -> dict:
    config = config_for(default_palette())
    photos, classes = load_split(data / "train", config)
    val = load_split(data / "val", config) if (data / "val").is_dir() else None
    torch.manual_seed(seed)
    net = build_segmenter(config)
    steps_per_epoch = len(photos) // batch
    if steps_per_epoch == 0:
        raise DatasetError(f"{data / 'train'} has {len(photos)} pairs, fewer than one batch of {batch}.")
    total = epochs * steps_per_epoch
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=total, pct_start=0.1)
    g = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    bar = tqdm(total=total, unit="step", desc="segmenter")
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(photos), generator=g)
        for b in range(steps_per_epoch):
            x, y = random_crops(photos, classes, order[b * batch : (b + 1) * batch], crop, g)
            x = ((x + 1) / 2 - MEAN) / STD
            loss = F.cross_entropy(net(x)["out"], y, ignore_index=IGNORE)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
            bar.update()
            bar.set_postfix(epoch=epoch, loss=f"{loss.item():.3f}", refresh=False)
    bar.close()
    scores = score_real(Segmenter(net, config), *val) if val else {}
    meta = {"trained_on": str(data / "train"), "epochs": epochs, "batch_size": batch, "crop": crop, "lr": lr,
            "cpu_minutes": round((time.perf_counter() - started) / 60, 1), "val_real_photos": scores}  # fmt: skip
    save_segmenter(out, net, config, meta)
    if scores:
        write_segmenter_card(out, scores, data / "val")
    return meta


def fcn_scores(segmenter: Segmenter, label_maps: list[Image.Image], outputs: list[Image.Image],
               photos: list[Image.Image]) -> dict:  # fmt: skip
    """The FCN-score of generated photos against the label maps they came from, and of the real photos (the ceiling)."""
    size = segmenter.config.image_size
    generated, real = FCNScore(len(segmenter.config.classes)), FCNScore(len(segmenter.config.classes))
    for start in range(0, len(label_maps), 16):
        chunk = slice(start, start + 16)
        truth = torch.stack([torch.from_numpy(colours_to_classes(m.resize((size, size), Image.Resampling.NEAREST), segmenter.config))
                             for m in label_maps[chunk]])  # fmt: skip
        for score, images in ((generated, outputs[chunk]), (real, photos[chunk])):
            batch = torch.stack([to_tensor(im.convert("RGB").resize((size, size), Image.Resampling.BICUBIC)) for im in images])
            score.update(segmenter(batch), truth)
    return {"fcn": generated.compute(), "fcn_ground_truth": real.compute()}


def score_real(segmenter: Segmenter, photos: torch.Tensor, classes: torch.Tensor) -> dict:
    """The segmenter's own scores on real photos: the ceiling of any FCN-score through it."""
    score = FCNScore(len(segmenter.config.classes))
    for start in range(0, len(photos), 16):
        score.update(segmenter(photos[start : start + 16].float() / 127.5 - 1), classes[start : start + 16])
    return score.compute()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.segment", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a segmenter on the real photos of DATA/train")
    t.add_argument("--data", type=Path, required=True, help="a pix2pix cityscapes folder with train/ (and val/)")
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--epochs", type=int, default=12)
    t.add_argument("--batch-size", type=int, default=16)
    t.add_argument("--crop", type=int, default=128, help="random crops of the 256 px photos: a quarter of the cost, the same scale")
    t.add_argument("--lr", type=float, default=2e-3)
    s = sub.add_parser("score", help="the segmenter's scores on the real photos of a split")
    s.add_argument("--segmenter", type=Path, required=True)
    s.add_argument("--data", type=Path, required=True)
    s.add_argument("--card", action="store_true", help="also write the segmenter's README.md with these scores")
    args = p.parse_args(argv)
    try:
        if args.command == "train":
            result = train_segmenter(args.data, args.out, args.epochs, args.batch_size, args.crop, args.lr)
        else:
            segmenter = load_segmenter(args.segmenter)
            result = score_real(segmenter, *load_split(args.data, segmenter.config))
            if args.card:
                write_segmenter_card(args.segmenter, result, args.data)
    except (DatasetError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
