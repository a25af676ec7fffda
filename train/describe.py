"""Say how the app presents a model: merge a presentation (JSON) into its config.json as "app".

    python -m train.describe weights/facades train/presentations/facades.json

A presentation has "kind" ("edges": a drawing or edge map in; "labels": a label map in),
"title", for label maps the "palette" (class name -> [r, g, b]), and "examples" (a folder of
example inputs, relative to the weights folder or to the project). The app reads these, so a
model from the Hub under any name is presented as its config says.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from model.files import atomic_write
from model.weights import CONFIG_NAME

KINDS = ("edges", "labels")


def read_presentation(path: Path) -> dict:
    presentation = json.loads(Path(path).read_text())
    if presentation.get("kind") not in KINDS:
        raise ValueError(f"{path}: 'kind' must be one of {KINDS}, got {presentation.get('kind')!r}")
    if presentation["kind"] == "labels" and not presentation.get("palette"):
        raise ValueError(f"{path}: a label-map model needs a 'palette' (class name -> [r, g, b])")
    return presentation


def describe(folder: Path, presentation: dict) -> None:
    config_path = Path(folder) / CONFIG_NAME
    config = json.loads(config_path.read_text())
    config["app"] = presentation
    atomic_write(config_path, lambda p: Path(p).write_text(json.dumps(config, indent=2) + "\n"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.describe", description=__doc__.split("\n")[0])
    p.add_argument("weights", type=Path)
    p.add_argument("presentation", type=Path)
    args = p.parse_args(argv)
    try:
        describe(args.weights, read_presentation(args.presentation))
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
