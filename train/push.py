"""Upload a weights folder (model.safetensors, config.json, model card, images) to the Hub.

    python -m train.push --weights runs/shoes/generator --repo USER/NAME [--private]

The token comes from HF_TOKEN or `hf auth login`, as huggingface_hub finds it; it is never printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.weights import CONFIG_NAME, WEIGHTS_NAME

UPLOAD_PATTERNS = ["*.safetensors", "*.json", "*.md", "*.png"]


def push_to_hub(folder: Path, repo_id: str, private: bool = False, token: str | None = None) -> str:
    from huggingface_hub import HfApi

    folder = Path(folder)
    missing = [n for n in (WEIGHTS_NAME, CONFIG_NAME) if not (folder / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}; point --weights at a generator folder.")
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    commit = api.upload_folder(folder_path=folder, repo_id=repo_id, repo_type="model",
                               allow_patterns=UPLOAD_PATTERNS, commit_message="Upload pix2pix generator")  # fmt: skip
    return commit.commit_url


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.push", description=__doc__.split("\n")[0])
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--repo", required=True, help="USER/NAME")
    p.add_argument("--private", action="store_true")
    args = p.parse_args(argv)
    try:
        print(f"uploaded: {push_to_hub(args.weights, args.repo, args.private)}")
    except Exception as e:  # huggingface_hub's errors never include the token
        print(f"error: upload to {args.repo} failed: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
