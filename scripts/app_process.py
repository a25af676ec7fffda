"""`python app.py` in a process of its own on a free port, for the tools that drive it (the GPU check,
the screenshot) and for the tests (tests/conftest.py imports these)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(weights_dir: Path, extra_env: dict | None = None, root: Path = ROOT):
    """Start `python app.py` (of root: the checkout, or a copy of part of it) on a free port;
    returns (process, url) once it answers."""
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "OMP_NUM_THREADS": "1", **(extra_env or {})}
    proc = subprocess.Popen([sys.executable, str(root / "app.py"), "--port", str(port), "--weights-dir", str(weights_dir)],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited early:\n{proc.stdout.read()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"app.py did not answer on {url} within 120 s")


def stop_app(proc) -> str:
    """Stop the app (killed if it does not end within 20 s); returns what it printed."""
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=20)
    except Exception:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""
