"""Deploy the app to a Hugging Face Space (`python -m train.push --space USER/NAME`).

What is uploaded is exactly what `python app.py` needs: app.py, model/, canvas/, the weights the
app loads (the translation models and the Photo tab's edge detector, config.json and
model.safetensors each), their examples/, the README's screenshot, and two files written for the
Space:
- README.md: the project README's Space front matter (sdk, the Gradio version installed here,
  the hardware) and its opening paragraph;
- requirements.txt: the app's own requirements from this checkout's requirements.txt, with
  PyTorch's CPU build on CPU hardware (0.2 GB instead of the CUDA build's 6 GB) and the CUDA build
  on GPU hardware. Gradio is left out: the Space installs the version the front matter names.

huggingface_hub's upload API stores the large files with LFS (or Xet) itself, so the repository's
history, which holds weights over the Hub's 10 MB limit for plain git, never travels. Files of an
earlier deploy that the app no longer needs are deleted in the same commit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from model.edges import EDGE_DETECTOR
from model.weights import CONFIG_NAME, WEIGHTS_NAME, is_translator

ROOT = Path(__file__).resolve().parents[1]
CPU_HARDWARE = ("cpu-basic", "cpu-upgrade")
ZERO_GPU_HARDWARE = "zero-a10g"  # the Hub's name for ZeroGPU, whatever GPU it runs on today
HARDWARE = (*CPU_HARDWARE, ZERO_GPU_HARDWARE, "t4-small", "t4-medium", "l4x1", "a10g-small", "a10g-large")
PYTORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# The app's imports (app.py, model/); training, evaluation and plotting stay behind.
APP_REQUIREMENTS = ("torch", "huggingface_hub", "safetensors", "pillow", "numpy", "scikit-image", "scipy", "onnx", "onnxruntime")
APP_SOURCES = ("app.py", "fair_share.py", "model/*.py", "canvas/*")
SCREENSHOT = "docs/app.png"


@dataclass
class SpacePlan:
    """What a deploy writes: local files by their path in the Space, and the two generated files."""

    files: dict[str, Path]
    readme: str
    requirements: str

    def sizes(self) -> dict[str, int]:
        generated = {"README.md": len(self.readme.encode()), "requirements.txt": len(self.requirements.encode())}
        return {**{name: path.stat().st_size for name, path in self.files.items()}, **generated}


def served_weights(root: Path) -> list[Path]:
    """The weights folders the app loads: every translation model, and the Photo tab's edge detector."""
    weights = root / "weights"
    folders = [p for p in sorted(weights.iterdir()) if is_translator(p)] if weights.is_dir() else []
    if not folders:
        raise FileNotFoundError(f"{weights} holds no translation model: the Space would have nothing to serve.")
    detector = weights / EDGE_DETECTOR.name
    return folders + ([detector] if (detector / WEIGHTS_NAME).is_file() else [])


def app_files(root: Path) -> dict[str, Path]:
    """Path in the Space -> file here, for everything the app reads."""
    files = [p for pattern in APP_SOURCES for p in sorted(root.glob(pattern))]
    for folder in served_weights(root):
        files += [folder / CONFIG_NAME, folder / WEIGHTS_NAME]
        examples = _examples_folder(root, folder)
        if examples is not None:
            files += sorted(p for p in examples.rglob("*") if p.is_file())
    if (root / SCREENSHOT).is_file():
        files.append(root / SCREENSHOT)
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"the app needs {', '.join(missing)}, which this checkout lacks")
    return {p.relative_to(root).as_posix(): p for p in dict.fromkeys(files)}


def _examples_folder(root: Path, weights: Path) -> Path | None:
    folder = json.loads((weights / CONFIG_NAME).read_text()).get("app", {}).get("examples")
    if not folder:
        return None
    path = (root / folder).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_dir():
        raise FileNotFoundError(f"{weights / CONFIG_NAME} names examples {folder!r}, which is not a folder of this checkout")
    return path


def space_requirements(root: Path, hardware: str) -> str:
    """The app's lines of requirements.txt; on CPU hardware, torch's CPU build from PyTorch's index."""
    lines = []
    for line in (root / "requirements.txt").read_text().splitlines():
        name = re.split(r"[<>=!~\[ ;]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
        if name in (r.replace("_", "-") for r in APP_REQUIREMENTS):
            lines.append(line.strip())
    torch_pin = next((line for line in lines if line.startswith("torch")), None)
    if torch_pin is None or "==" not in torch_pin:
        raise ValueError("requirements.txt must pin torch (torch==X.Y.Z): the Space installs that release")
    if hardware in CPU_HARDWARE:
        lines[lines.index(torch_pin)] = f"{torch_pin}+cpu"
        lines.insert(0, f"--extra-index-url {PYTORCH_CPU_INDEX}")
    kind = "CPU" if hardware in CPU_HARDWARE else "CUDA"
    return f"# Written by `python -m train.push --space` for {hardware} hardware ({kind} PyTorch).\n" + "\n".join(lines) + "\n"


def space_readme(root: Path, hardware: str) -> str:
    """The project README's front matter, set for this deploy, and its opening paragraph."""
    from importlib.metadata import version

    import yaml

    text = (root / "README.md").read_text()
    match = re.match(r"---\n(.*?)\n---\n(.*?)\n## ", text, re.S)
    if not match:
        raise ValueError(f"{root / 'README.md'} has no front matter (--- ... ---) followed by a first section")
    meta = yaml.safe_load(match.group(1))
    meta.update(sdk="gradio", sdk_version=version("gradio"), app_file="app.py", suggested_hardware=hardware)
    if hardware == ZERO_GPU_HARDWARE:
        meta["python_version"] = "3.10"  # the one ZeroGPU runs
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).strip()
    return f"---\n{front}\n---\n{match.group(2).strip()}\n"


def plan_space(root: Path = ROOT, hardware: str = "cpu-basic") -> SpacePlan:
    if hardware not in HARDWARE:
        raise ValueError(f"unknown hardware {hardware!r}: choose one of {', '.join(HARDWARE)}")
    return SpacePlan(app_files(root), space_readme(root, hardware), space_requirements(root, hardware))


def deploy_space(repo_id: str, plan: SpacePlan, hardware: str, private: bool = False, token: str | None = None) -> str:
    """Create (or update) the Space and upload the plan in one commit; the Space's page URL."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, constants

    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio", space_hardware=hardware, private=private, exist_ok=True)
    uploads = [CommitOperationAdd(name, str(path)) for name, path in plan.files.items()]
    uploads += [CommitOperationAdd("README.md", plan.readme.encode()), CommitOperationAdd("requirements.txt", plan.requirements.encode())]
    keep = {op.path_in_repo for op in uploads} | {".gitattributes"}
    stale = [CommitOperationDelete(name) for name in api.list_repo_files(repo_id, repo_type="space") if name not in keep]
    api.create_commit(repo_id, repo_type="space", operations=uploads + stale, commit_message="Deploy the pix2pix app")
    api.request_space_hardware(repo_id, hardware)  # an existing Space too gets what its requirements were written for
    return f"{constants.ENDPOINT}/spaces/{repo_id}"
