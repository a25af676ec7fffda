"""Ship a trained generator: fp16 weights, config, validation metrics at 256 px, model card.

    python -m train.export --run runs/shoes --out weights/edges2shoes --data ../shared/data/edges2shoes/val \
        --train-data ../shared/data/edges2shoes/train --command "python -m train ..."

The metrics in the card are measured here, on the full val split at the targets' size,
together with the all-white and mean-training-image baselines, so that every figure in the
card comes from this one command.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import torch
from PIL import Image
from torchvision.utils import save_image

from model import load_translator, save_generator
from model.images import to_rgb, to_tensor
from model.files import open_image
from model.files import atomic_write
from model.weights import load_generator

from .card import assemble_card, where
from .describe import describe, read_presentation
from .data import PairedImageFolder
from .evaluate import evaluate, mean_image
from .hints import HINT_DOTS
from .plots import save_sample_grid
from .realism import MissingExtras


def export(run: Path, out: Path, data: Path, train_data: Path | None, command: str = "", notes: str = "",
           cpu_hours: float | None = None, sample_inputs: Path | None = None, gpu: str = "") -> dict:  # fmt: skip
    """sample_inputs: a folder of inputs for the card's grid (input | output), for data whose
    terms forbid showing its images (Cityscapes); by default the grid shows val pairs.
    gpu: the GPU it trained on, if any; its training time is read from the run's metrics.jsonl."""
    generator, meta = load_generator(run / "generator")
    meta = {k: v for k, v in meta.items() if k != "generator"}
    meta["train_config"] = without_machine_paths(meta.get("train_config", {}))
    save_generator(out, generator, meta, dtype=torch.float16)
    translator = load_translator(out, device="cpu")  # score what is shipped: the fp16 weights
    direction = meta.get("direction", "AtoB")
    val = PairedImageFolder(data, direction)
    try:
        metrics, grid = evaluate(translator, val, realism=True)
    except MissingExtras as e:
        print(f"note: no KID or colour figures in the card: {e}", file=sys.stderr)
        metrics, grid = evaluate(translator, val)
    if translator.takes_hints:  # the same pairs again, with HINT_DOTS seeded dots of each target's colours
        metrics[f"with_{HINT_DOTS}_hint_dots"], _ = evaluate(translator, val, hint_dots=HINT_DOTS)
    if sample_inputs is None:
        save_sample_grid(out / "samples.png", *grid)
    else:
        inputs = [to_rgb(open_image(p)).resize((256, 256)) for p in sorted(Path(sample_inputs).glob("*.png"))]
        pairs = [to_tensor(im) for x in inputs for im in (x, translator(x))]
        atomic_write(out / "samples.png", lambda p: save_image(torch.stack(pairs).add(1).div(2), p, nrow=2, padding=2,
                                                                pad_value=1.0, format="png"))  # fmt: skip
    baselines = {}
    baselines["all white"], _ = evaluate(lambda x: Image.new("RGB", x.size, "white"), val)
    if train_data:
        mean = mean_image(train_data, direction)
        baselines["mean training image"], _ = evaluate(lambda x: mean.resize(x.size), val)
    gpu_minutes = round(training_seconds(run) / 60, 1) if gpu else None
    meta.update(val_metrics=metrics, baselines=baselines, cpu_hours=cpu_hours, **({"gpu": gpu, "gpu_minutes": gpu_minutes} if gpu else {}))
    config = json.loads((out / "config.json").read_text())
    config.update({k: v for k, v in meta.items() if k != "generator"})
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    if (run / "loss_curve.png").exists():
        shutil.copyfile(run / "loss_curve.png", out / "loss_curve.png")
    reproduce = ["## Reproduce", "", "```bash", command, "```", ""] if command else []
    assemble_card(out, "\n".join([*reproduce, *([notes, ""] if notes else [])]), str(data))
    return {"out": str(out), **metrics, "baselines": baselines}


PATH_FIELDS = ("data", "out", "extra_data", "init_generator", "init_hint_adapter", "presentation", "segmenter")


def without_machine_paths(train_config: dict) -> dict:
    """The run's config as it ships: folders outside the repository (absolute, or in a home directory) by
    their names alone, so that a published config names no one's machine."""
    shipped = dict(train_config)
    for field in PATH_FIELDS:
        if isinstance(shipped.get(field), str) and shipped[field]:
            shipped[field] = ",".join(where(p) for p in shipped[field].split(","))
    return shipped


def training_seconds(run: Path) -> float:
    """Wall-clock seconds of training, as the run's last metrics.jsonl row records them."""
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return float(rows[-1]["elapsed_s"])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.export", description=__doc__.split("\n")[0])
    p.add_argument("--run", type=Path, required=True, help="the training run folder (with generator/)")
    p.add_argument("--out", type=Path, required=True, help="e.g. weights/edges2shoes")
    p.add_argument("--data", type=Path, required=True, help="validation pairs")
    p.add_argument("--train-data", type=Path, help="training pairs, for the mean-image baseline")
    p.add_argument("--command", default="", help="the command that trained it, for the card")
    p.add_argument("--notes-file", type=Path, help="markdown appended to the card")
    p.add_argument("--cpu-hours", type=float, default=None, help="core-hours of training: threads x wall-clock hours")
    p.add_argument("--presentation", type=Path, help="how the app presents it (JSON, see train.describe)")
    p.add_argument("--gpu", default="", help="the GPU it trained on, e.g. 'one NVIDIA H200'; the time comes from the run")
    p.add_argument("--sample-inputs", type=Path, help="inputs for the card's grid instead of val pairs (e.g. examples/cityscapes)")
    args = p.parse_args(argv)
    notes = args.notes_file.read_text() if args.notes_file else ""
    result = export(args.run, args.out, args.data, args.train_data, args.command, notes, args.cpu_hours,
                    args.sample_inputs, args.gpu)
    if args.presentation:
        describe(args.out, read_presentation(args.presentation))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
