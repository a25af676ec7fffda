"""scripts/install_cpu.sh: PyTorch's CPU index is checked before pip runs (a fake pip on PATH records what it is asked)."""

import functools
import http.server
import os
import subprocess
import threading

import pytest

from tests.conftest import ROOT, free_port


@pytest.fixture
def fake_pip(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip").write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "pip-args"}\n')
    (bin_dir / "pip").chmod(0o755)
    return bin_dir, tmp_path / "pip-args"


def run_script(index: str, bin_dir):
    env = {**os.environ, "TORCH_CPU_INDEX": index, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", str(ROOT / "scripts" / "install_cpu.sh")], env=env, capture_output=True, text=True, timeout=60)


def test_an_unreachable_index_stops_before_pip_and_says_what_to_do(fake_pip):
    bin_dir, pip_args = fake_pip
    out = run_script(f"http://127.0.0.1:{free_port()}/whl/cpu", bin_dir)
    assert out.returncode == 1 and "cannot be reached" in out.stderr
    assert "pip install -r requirements.txt" in out.stderr and "TORCH_CPU_INDEX" in out.stderr
    assert not pip_args.exists()  # nothing was installed, nor fell back to the CUDA build


def serve(folder):
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/whl/cpu"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.parametrize("lists_torch", [True, False])
def test_pip_runs_with_the_index_only_where_it_lists_torch(fake_pip, tmp_path, lists_torch):
    bin_dir, pip_args = fake_pip
    (tmp_path / "www" / "whl" / "cpu" / ("torch" if lists_torch else "numpy")).mkdir(parents=True)
    server, index = serve(tmp_path / "www")
    try:
        out = run_script(index, bin_dir)
    finally:
        server.shutdown()
    if lists_torch:
        assert out.returncode == 0, out.stderr
        assert pip_args.read_text().split() == ["install", "--extra-index-url", index, "-r", "requirements.txt"]
    else:
        assert out.returncode == 1 and not pip_args.exists()
