"""Load test of the live canvas on 127.0.0.1: fair share, throughput and memory, in about a minute.

    python scripts/load_test.py [--weights-dir weights] [--seconds 10]

Starts `python app.py` on a free loopback port (one proxy hop assumed, as on a Space, so each
simulated visitor has its own address in X-Forwarded-For), then calls the canvas's server
function translate_drawing as pages do, each visitor sending its next drawing when the last one
is answered:
1. one polite visitor alone: its median latency;
2. the same visitor beside a hostile client holding 32 connections (32 sessions, one address):
   the polite visitor's median latency, and its ratio to 1.;
3. twelve visitors drawing at once: the shoes per second each one sees (minimum and median);
4. a visitor loading the page (GET /) alone, and beside a client drawing on 100 connections: the median load time;
and the server's resident memory before, at its peak, and after. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

from app_process import free_port

ROOT = Path(__file__).resolve().parents[1]


def start_server(weights_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PIX2PIX_PROXY_HOPS": "1", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--weights-dir", str(weights_dir)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            httpx.get(url, timeout=2)
            return proc, url
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise SystemExit("app.py exited before it answered")
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("app.py did not answer within 2 minutes")


def canvas_id(url: str) -> int:
    config = httpx.get(f"{url}/config", timeout=10).json()
    return next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "live-canvas")


def drawing(step: int) -> str:
    """A shoe outline whose last stroke grows with step, as a PNG data URL (as the canvas sends)."""
    image = Image.new("RGB", (256, 256), "white")
    pen = ImageDraw.Draw(image)
    pen.line([(30, 190), (60, 120), (140, 110), (226, 170), (226, 200), (30, 200), (30, 190)], fill="black", width=3)
    pen.line([(60, 120), (60 + step % 80, 160)], fill="black", width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


DRAWINGS = [drawing(step) for step in range(80)]  # made once: the client's own CPU stays out of the figures


def visit(url: str, component: int, address: str, model: str, seconds: float) -> dict:
    """One page: sends its next drawing when the last is answered, for `seconds`."""
    session = uuid.uuid4().hex[:11]
    out = {"latencies": [], "shoes": 0, "busy": 0, "errors": 0}
    deadline = time.perf_counter() + seconds
    with httpx.Client(timeout=30, headers={"X-Forwarded-For": address}) as http:
        step = 0
        while time.perf_counter() < deadline:
            body = {"session_hash": session, "component_id": component, "fn_name": "translate_drawing",
                    "data": [DRAWINGS[step % len(DRAWINGS)], None, model, "0", session]}  # fmt: skip
            started = time.perf_counter()
            try:
                reply = http.post(f"{url}/gradio_api/component_server/", json=body).json()
            except (httpx.HTTPError, json.JSONDecodeError):
                reply = {}
            if reply.get("result"):
                out["shoes"] += 1
                out["latencies"].append(time.perf_counter() - started)
            else:
                out["busy" if reply.get("busy") else "errors"] += 1
            step += 1
    return out


def load_pages(url: str, address: str, seconds: float) -> dict:
    """One visitor loading the page again and again, for `seconds`: its load times."""
    out = {"latencies": [], "shoes": 0, "busy": 0, "errors": 0}
    deadline = time.perf_counter() + seconds
    with httpx.Client(timeout=30, headers={"X-Forwarded-For": address}) as http:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                ok = http.get(url).status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                out["latencies"].append(time.perf_counter() - started)
            else:
                out["errors"] += 1
    return out


def client(args: tuple) -> list[dict]:
    """One client process: `connections` pages at once from one address (threads share its GIL,
    so a crowd of pages runs in its own process, apart from the visitors it is measured against)."""
    url, component, address, model, seconds, connections = args
    results: list[dict] = []
    if connections == 0:  # a visitor loading the page instead of drawing
        return [load_pages(url, address, seconds)]
    threads = [threading.Thread(target=lambda: results.append(visit(url, component, address, model, seconds)))
               for _ in range(connections)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def run_phase(url, component, model, seconds, clients: list[tuple[str, int]]) -> list[list[dict]]:
    """clients: (address, connections) each, run side by side in their own processes; 0 connections:
    a visitor loading the page."""
    with multiprocessing.get_context("spawn").Pool(len(clients)) as pool:
        return pool.map(client, [(url, component, a, model, seconds, n) for a, n in clients])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights-dir", type=Path, default=ROOT / "weights")
    p.add_argument("--model", default="edges2shoes")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    args = p.parse_args()
    proc, url = start_server(args.weights_dir)
    peak, sampling = [0.0], threading.Event()

    def sample():
        while not sampling.is_set():
            peak[0] = max(peak[0], rss_mb(proc.pid))
            time.sleep(0.05)

    try:
        component = canvas_id(url)
        run_phase(url, component, args.model, 2, [("10.0.0.1", 1)])  # warm up
        before = rss_mb(proc.pid)
        threading.Thread(target=sample, daemon=True).start()
        alone = run_phase(url, component, args.model, args.seconds, [("10.0.0.1", 1)])[0][0]
        polite, hostile = run_phase(url, component, args.model, args.seconds, [("10.0.0.1", 1), ("10.6.6.6", 32)])
        polite = polite[0]
        twelve = [r[0] for r in run_phase(url, component, args.model, args.seconds, [(f"10.0.1.{i}", 1) for i in range(12)])]
        page_alone = run_phase(url, component, args.model, args.seconds / 2, [("10.0.2.1", 0)])[0][0]
        page_crowded = run_phase(url, component, args.model, args.seconds, [("10.0.2.1", 0), ("10.6.6.7", 100)])[0][0]
        sampling.set()
        time.sleep(2)
        after = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    report(args, alone, polite, hostile, twelve, (page_alone, page_crowded), (before, peak[0], after))
    return 0


def report(args, alone, polite, hostile, twelve, pages, memory):
    alone_ms, polite_ms = (1000 * statistics.median(v["latencies"]) for v in (alone, polite))
    rates = sorted(v["shoes"] / args.seconds for v in twelve)
    print(f"load test of {args.model}, {args.seconds:g} s per phase, on 127.0.0.1")
    print(f"1. one visitor alone: median {alone_ms:.0f} ms a shoe ({alone['shoes'] / args.seconds:.1f} shoes/s)")
    print(f"2. beside a client with 32 connections: median {polite_ms:.0f} ms a shoe ({polite['shoes'] / args.seconds:.1f} shoes/s), "
          f"{polite_ms / alone_ms:.2f}x alone; the 32 got {sum(h['shoes'] for h in hostile)} shoes and "
          f"{sum(h['busy'] for h in hostile)} busy answers")  # fmt: skip
    print(f"3. twelve visitors at once: shoes per second each, minimum {rates[0]:.1f}, median {statistics.median(rates):.1f} "
          f"(all: {', '.join(f'{r:.1f}' for r in rates)}); busy answers {sum(v['busy'] for v in twelve)}, errors "
          f"{sum(v['errors'] for v in twelve)}")  # fmt: skip
    page_ms = [1000 * statistics.median(v["latencies"]) if v["latencies"] else float("nan") for v in pages]
    print(f"4. loading the page: median {page_ms[0]:.0f} ms alone, {page_ms[1]:.0f} ms beside a client drawing on 100 "
          f"connections ({page_ms[1] / page_ms[0]:.1f}x; {pages[1]['errors']} failed loads)")
    print(f"server memory (RSS): before {memory[0]:.0f} MB, peak {memory[1]:.0f} MB, after {memory[2]:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
