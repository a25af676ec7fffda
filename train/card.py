"""The model card (README.md with Hugging Face YAML metadata) of a weights folder.

    python -m train.card weights/edges2shoes --notes docs/cards/edges2shoes.md

assembles a shipped model's card from its config.json (settings, the figures train.export
measured) and the hand-written notes (how to reproduce it, its recipe), so that a card is never
edited by hand and always says what its config records.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

from model.weights import CONFIG_NAME, atomic_write

DATASET_CREDITS = {
    "edges2shoes": "UT Zappos50K (Yu & Grauman), edge maps by the pix2pix authors; academic, non-commercial use",
    "edges2handbags": "iGAN handbag photos (Zhu et al.), edge maps by the pix2pix authors; academic, non-commercial use",
    "facades": "CMP Facade Database (Tyleček & Šára)",
    "cityscapes": "Cityscapes (Cordts et al.); non-commercial use, no redistribution",
}


def where(path: str) -> str:
    """A folder as the card names it: a path in the repository as it is, a folder elsewhere by its name alone."""
    return Path(path).name if Path(path).is_absolute() or path.startswith("~") else path


def write_model_card(folder: Path, run: Path | None = None, extra: str = "") -> Path:
    """Write folder/README.md from folder/config.json; copies the run's loss curve and latest samples."""
    folder = Path(folder)
    config = json.loads((folder / CONFIG_NAME).read_text())
    if run is not None:
        grids = sorted((Path(run) / "samples").glob("step_*.png"))
        for src, name in ((Path(run) / "loss_curve.png", "loss_curve.png"), (grids[-1] if grids else None, "samples.png")):
            if src is not None and src.exists():
                shutil.copyfile(src, folder / name)
    images = [n for n in ("samples.png", "drawings.png", "hints.png", "loss_curve.png") if (folder / n).exists()]
    atomic_write(folder / "README.md", lambda p: Path(p).write_text(render_card(config, images, extra)))
    return folder / "README.md"


def assemble_card(folder: Path, notes: str = "", data: str | None = None) -> Path:
    """Write folder/README.md from folder/config.json and the notes, after the figures config.json records."""
    config = json.loads((Path(folder) / CONFIG_NAME).read_text())
    return write_model_card(folder, None, "\n".join([*measured_section(config, data), notes]))


def measured_section(config: dict, data: str | None = None) -> list[str]:
    """The validation figures and training time that train.export recorded in config.json, as card lines;
    data: the val pairs they were measured on (by default the val/ folder of the training data)."""
    metrics, baselines = config.get("val_metrics") or {}, config.get("baselines") or {}
    if not metrics.get("count") or not baselines:
        return []
    row = "| {} | {l1:.4f} | {psnr:.2f} | {ssim:.4f} |".format
    rows = ["| output | L1 | PSNR (dB) | SSIM |", "|---|---|---|---|",
            "| **this model** | **{l1:.4f}** | **{psnr:.2f}** | **{ssim:.4f}** |".format(**metrics)]  # fmt: skip
    for key, m in metrics.items():
        if dots := re.fullmatch(r"with_(\d+)_hint_dots", key):
            rows.append(row(f"this model, given {dots[1]} colour-hint dots of each target's colours", **m))
    rows += [row(name, **m) for name, m in baselines.items()]
    if "kid" in metrics:
        k, c = metrics["kid"], metrics["colour"]
        rows += ["", "Realism (`train/realism.py`: KID on EfficientNet-Lite0 features against the val photos; "
                 "the mean colours of the shoes):", "",
                 "| KID x1000 | spread of mean colours, vs the photos' | bright shoes | bright photos |", "|---|---|---|---|",
                 f"| {k['kid_x1000']:.0f} ± {k['kid_x1000_std']:.0f} | {c['spread_vs_real']:.2f} | "
                 f"{100 * c['bright_share']:.1f}% | {100 * c['bright_share_real']:.1f}% |"]  # fmt: skip
    tc = config.get("train_config", {})
    data = data or f"{tc.get('data', 'DATA')}/val"
    lines = [f"## Validation at 256x256 ({metrics['count']} pairs of `{data}`)", "",
             "Measured by `python -m train.export` on the shipped fp16 weights, outputs resized to the "
             "targets' 256x256 where the model runs smaller; L1 and PSNR over [0, 1] images, SSIM from scikit-image.", "",
             *rows, ""]  # fmt: skip
    if config.get("cpu_hours") is not None:
        after = " after the training of the weights it started from" if tc.get("init_generator") else ""
        lines += [f"Training took {config['cpu_hours']:.2f} CPU core-hours (compute threads x wall-clock hours, "
                  f"on a 2-core Xeon){after}.", ""]  # fmt: skip
    if config.get("gpu"):
        lines += [f"Training took {config['gpu_minutes']} minutes on {config['gpu']}.", ""]
    return lines


def render_card(config: dict, images: list[str], extra: str = "") -> str:
    dataset = config.get("dataset", "")
    tc = config.get("train_config", {})
    g = config.get("generator", {})
    metrics = config.get("val_metrics") or {}
    name = f"pix2pix-{dataset}" if dataset else "pix2pix"
    # The weights derive from their training data, whose terms (often non-commercial) apply to them.
    lines = ["---", "license: other", "license_name: training-data-terms", "library_name: pytorch",
             "pipeline_tag: image-to-image",
             "tags:", "- pix2pix", "- image-to-image", "- gan", "- conditional-gan"]  # fmt: skip
    if dataset:
        lines += ["datasets:", f"- {dataset}"]
    if metrics.get("count"):
        lines += [
            "model-index:", f"- name: {name}", "  results:", "  - task:", "      type: image-to-image",
            "      name: Image-to-image translation", "    dataset:", f"      name: {dataset or 'custom'}",
            f"      type: {dataset or 'custom'}", "      split: validation", "    metrics:",
        ]  # fmt: skip
        for key, label in (("l1", "L1"), ("psnr", "PSNR"), ("ssim", "SSIM")):
            lines += [f"    - type: {key}", f"      name: {label}", f"      value: {metrics[key]:.4f}"]
    lines += ["---", "", f"# {name}", ""]
    lines += [
        f"A pix2pix generator (Isola et al., CVPR 2017) translating {dataset or 'images'} "
        f"({config.get('direction', 'AtoB')}): a U-Net with {g.get('ngf', 64)} base filters, "
        f"{g.get('norm', 'batch')} norm, trained at {g.get('image_size', 256)} px.", "",
        "```python", "from model import load_translator", "translate = load_translator(\"THIS_FOLDER_OR_REPO_ID\")",
        "output = translate(input_image)  # PIL image in, PIL image of the same size out",
        *(["coloured = translate(input_image, hints=rgba_image)  # colour hints: opaque pixels ask for their colour there"]
          if g.get("hints") else []),
        "```", "",
    ]  # fmt: skip
    if metrics.get("count") and not extra:
        lines += ["## Validation metrics", "", f"Over {metrics['count']} validation images, [0, 1] range, at the training size:", "",
                  "| L1 | PSNR (dB) | SSIM |", "|---|---|---|", f"| {metrics['l1']:.4f} | {metrics['psnr']:.2f} | {metrics['ssim']:.4f} |", ""]  # fmt: skip
    if tc:
        keys = ("size", "ngf", "outer_ngf", "ndf", "receptive_field", "batch_size", "lr", "l1_weight", "gan_weight", "epochs", "epochs_decay",
                "augment", "ema", "feature_gan_weight", "feature_backbone")  # fmt: skip
        start = f", starting from the weights then in `{where(tc['init_generator'])}`" if tc.get("init_generator") else ""
        if tc.get("hint_adapter"):
            start += " (only its hint adapter trained: the network it sits beside stayed frozen)"
        if tc.get("init_hint_adapter"):
            start += f", the adapter starting from the one in `{where(tc['init_hint_adapter'])}`"
        lines += ["## Training", "", f"Trained for {config.get('step', '?')} steps{start}, with:", "", "| setting | value |", "|---|---|"]
        lines += [f"| {k} | {tc[k]} |" for k in keys if k in tc] + [""]
    if extra:
        lines += [extra.strip(), ""]
    for image in images:
        lines += [f"![{image[:-4].replace('_', ' ')}]({image})", ""]
    lines += ["## Credits", "", "pix2pix: Phillip Isola, Jun-Yan Zhu, Tinghui Zhou, Alexei A. Efros, "
              "*Image-to-Image Translation with Conditional Adversarial Networks*, CVPR 2017."]  # fmt: skip
    if dataset in DATASET_CREDITS:
        lines += ["", f"Data: {DATASET_CREDITS[dataset]}."]
    lines += ["", "License: the code that trained this model is MIT-licensed; the weights derive from the "
              "training data and carry its terms."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.card", description=__doc__.split("\n\n")[0])
    p.add_argument("weights", type=Path, help="a weights folder with config.json, e.g. weights/edges2shoes")
    p.add_argument("--notes", type=Path, help="markdown that follows the figures: how to reproduce it, its recipe "
                   "(docs/cards/NAME.md)")  # fmt: skip
    args = p.parse_args(argv)
    if not (args.weights / CONFIG_NAME).is_file():
        p.error(f"{args.weights} has no {CONFIG_NAME}")
    if args.notes is not None and not args.notes.is_file():
        p.error(f"no notes file {args.notes}")
    print(assemble_card(args.weights, args.notes.read_text() if args.notes else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
