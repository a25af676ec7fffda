"""The model card (README.md with Hugging Face YAML metadata) of a weights folder."""

from __future__ import annotations

import json
import shutil
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
    images = []
    if run is not None:
        grids = sorted((Path(run) / "samples").glob("step_*.png"))
        for src, name in ((Path(run) / "loss_curve.png", "loss_curve.png"), (grids[-1] if grids else None, "samples.png")):
            if src is not None and src.exists():
                shutil.copyfile(src, folder / name)
    images = [n for n in ("samples.png", "drawings.png", "hints.png", "loss_curve.png") if (folder / n).exists()]
    atomic_write(folder / "README.md", lambda p: Path(p).write_text(render_card(config, images, extra)))
    return folder / "README.md"


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
