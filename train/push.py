"""Upload a weights folder (model.safetensors, config.json, model card, images) to the Hub,
or deploy the app to a Space (train/space.py says what it uploads).

    python -m train.push --weights runs/shoes/generator --repo USER/NAME [--private]
    python -m train.push --space USER/NAME [--private] [--hardware cpu-basic|zero-a10g|t4-small|...]

The token comes from HF_TOKEN or `hf auth login`, as huggingface_hub finds it; it is never printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model.weights import CONFIG_NAME, WEIGHTS_NAME

UPLOAD_PATTERNS = ["*.safetensors", "*.json", "*.md", "*.png"]


class HubAccessError(RuntimeError):
    """No token, no Hub, or a refused token: said in one line, before any work."""


def check_hub_access(token: str | None = None) -> str:
    """The name the token belongs to, asked of the Hub; HubAccessError where the push could not work."""
    from huggingface_hub import HfApi, constants, get_token

    token = token or get_token()
    if not token:
        raise HubAccessError("no Hugging Face token: set HF_TOKEN, or run `hf auth login`, then try again")
    try:
        return HfApi(token=token).whoami()["name"]
    except Exception as e:  # huggingface_hub's errors never include the token
        status = getattr(getattr(e, "response", None), "status_code", None)
        if status in (401, 403):
            raise HubAccessError(f"the Hub at {constants.ENDPOINT} refused the token ({status}): make a new one with "
                                 "write access at huggingface.co/settings/tokens") from None  # fmt: skip
        if status is not None:
            raise HubAccessError(f"the Hub at {constants.ENDPOINT} answered {status}: try again later") from None
        raise HubAccessError(f"cannot reach the Hub at {constants.ENDPOINT} ({type(e).__name__}): check the network "
                             "(or HF_ENDPOINT)") from None  # fmt: skip


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


def deploy(repo_id: str, hardware: str, private: bool) -> str:
    """Deploy the app to the Space repo_id, printing what goes up; the Space's URL."""
    from .space import deploy_space, plan_space

    plan = plan_space(hardware=hardware)
    sizes = plan.sizes()
    for name, size in sizes.items():
        print(f"{size / 1e6:9.2f} MB  {name}")
    print(f"{sum(sizes.values()) / 1e6:9.2f} MB  in {len(sizes)} files, to the Space {repo_id} ({hardware})", flush=True)
    return deploy_space(repo_id, plan, hardware, private)


def main(argv=None) -> int:
    from .space import HARDWARE

    p = argparse.ArgumentParser(prog="python -m train.push", description=__doc__.split("\n")[0])
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--repo", help="USER/NAME: a model repo, for the folder --weights")
    target.add_argument("--space", help="USER/NAME: a Space, for the app and its weights")
    p.add_argument("--weights", type=Path, help="with --repo: the weights folder to upload")
    p.add_argument("--hardware", choices=HARDWARE, default="cpu-basic", help="with --space (default: %(default)s)")
    p.add_argument("--private", action="store_true")
    args = p.parse_args(argv)
    if args.repo and args.weights is None:
        p.error("--repo needs --weights FOLDER")
    try:
        check_hub_access()
    except HubAccessError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    repo = args.space or args.repo
    try:
        if args.space:
            url = deploy(args.space, args.hardware, args.private)
            print(f"deployed: {url} (it builds, then runs; build logs on that page)")
        else:
            print(f"uploaded: {push_to_hub(args.weights, args.repo, args.private)}")
    except Exception as e:  # huggingface_hub's errors never include the token
        print(f"error: upload to {repo} failed: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
