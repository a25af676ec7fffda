"""The app as a server: its documented /translate API, called with gradio_client."""


import json
import os
import tempfile
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from PIL import Image, ImageDraw

from tests.conftest import start_app, stop_app


@pytest.fixture(scope="module")
def served(tiny_weights_dir):
    proc, url = start_app(tiny_weights_dir)
    try:
        yield Client(url, verbose=False), url
    finally:
        stop_app(proc)


@pytest.fixture(scope="module")
def client(served):
    return served[0]


def drawing(path):
    image = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(image).line([(30, 200), (120, 120), (370, 210), (30, 230)], fill="black", width=5)
    image.save(path)
    return path


def test_translate_endpoint_returns_a_256_image(client, tmp_path):
    out = client.predict(handle_file(str(drawing(tmp_path / "d.png"))), "edges2shoes", 0, api_name="/translate")
    image = Image.open(out)
    assert image.size == (256, 256) and image.mode == "RGB"


def test_seed_gives_reproducible_variations(client, tmp_path):
    src = handle_file(str(drawing(tmp_path / "d.png")))
    a, b, c = (Image.open(client.predict(src, "edges2shoes", s, api_name="/translate")).tobytes() for s in (3, 3, 4))
    assert a == b and a != c


def test_colour_hints_through_the_api(client, tmp_path):
    src = handle_file(str(drawing(tmp_path / "d.png")))
    hints = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(hints).ellipse((150, 150, 180, 180), fill=(0, 0, 255, 255))
    hints.save(tmp_path / "hints.png")
    plain = Image.open(client.predict(src, "edges2shoes", 0, None, api_name="/translate")).tobytes()
    hinted = Image.open(client.predict(src, "edges2shoes", 0, handle_file(str(tmp_path / "hints.png")), api_name="/translate"))
    assert hinted.size == (256, 256) and hinted.tobytes() != plain
    hints.convert("RGB").save(tmp_path / "opaque.jpg")
    with pytest.raises(Exception, match="no transparency"):
        client.predict(src, "edges2shoes", 0, handle_file(str(tmp_path / "opaque.jpg")), api_name="/translate")
    hints.resize((200, 150)).save(tmp_path / "small.png")
    with pytest.raises(Exception, match="size of the image"):
        client.predict(src, "edges2shoes", 0, handle_file(str(tmp_path / "small.png")), api_name="/translate")


def test_label_model_through_the_api(client, tmp_path):
    Image.new("RGB", (300, 300), (2, 50, 254)).save(tmp_path / "facade.jpg")
    out = client.predict(handle_file(str(tmp_path / "facade.jpg")), "facades", 0, api_name="/translate")
    assert Image.open(out).size == (256, 256)


def test_the_api_is_documented(client):
    info = client.view_api(print_info=False, return_format="dict")
    endpoint = info["named_endpoints"]["/translate"]
    assert [p["parameter_name"] for p in endpoint["parameters"]] == ["image", "model_name", "seed", "hints"]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: (p.write_bytes(b"this is not an image"), p)[1], "not an image this app can read"),
        (lambda p: (Image.new("1", (10000, 10000), 1).save(p, "PNG"), p)[1], "over 16 megapixels"),
        (lambda p: (Image.new("RGB", (300, 300), "white").save(p, "PNG"), p)[1], "drawing is empty"),
    ],
    ids=["not-an-image", "huge", "empty-drawing"],
)
def test_bad_input_gets_a_clear_error_and_the_app_keeps_serving(client, tmp_path, make, message):
    bad = make(tmp_path / "bad.png")
    with pytest.raises(Exception, match=message):
        client.predict(handle_file(str(bad)), "edges2shoes", 0, api_name="/translate")
    ok = client.predict(handle_file(str(drawing(tmp_path / "d.png"))), "edges2shoes", 0, api_name="/translate")
    assert Image.open(ok).size == (256, 256)


def test_unknown_model_is_explained(client, tmp_path):
    with pytest.raises(Exception, match="Unknown model 'nope'"):
        client.predict(handle_file(str(drawing(tmp_path / "d.png"))), "nope", 0, api_name="/translate")


def test_an_app_with_only_an_edges_model_serves(tiny_weights_dir, tmp_path):
    """No label model at all (the browser test covers the page-load handlers of that case)."""
    import shutil

    only = tmp_path / "weights"
    shutil.copytree(tiny_weights_dir / "edges2shoes", only / "edges2shoes")
    proc, url = start_app(only)
    try:
        client = Client(url, verbose=False)
        out = client.predict(handle_file(str(drawing(tmp_path / "d.png"))), "edges2shoes", 0, api_name="/translate")
        assert Image.open(out).size == (256, 256)
    finally:
        log = stop_app(proc)
    assert "Traceback" not in log, log


def test_the_app_turns_gradios_analytics_off_itself(tiny_weights_dir):
    import urllib.request

    proc, url = start_app(tiny_weights_dir, extra_env={"GRADIO_ANALYTICS_ENABLED": "True"})
    try:
        config = json.loads(urllib.request.urlopen(f"{url}/config", timeout=10).read())
    finally:
        stop_app(proc)
    assert config["analytics_enabled"] is False


def test_an_upload_over_the_size_limit_is_refused_before_it_is_kept(served, tmp_path):
    client, url = served
    big = tmp_path / "big.png"
    big.write_bytes(os.urandom(9_000_000))  # over the app's 8 MB
    with open(big, "rb") as f:
        reply = httpx.post(f"{url}/gradio_api/upload", files={"files": ("big.png", f, "image/png")}, timeout=60)
    assert reply.status_code == 413
    out = client.predict(handle_file(str(drawing(tmp_path / "d.png"))), "edges2shoes", 0, api_name="/translate")
    assert Image.open(out).size == (256, 256)  # and the app keeps serving


def test_translations_leave_no_folders_in_the_temp_directory(client, tmp_path):
    before = set(Path(tempfile.gettempdir()).glob("pix2pix-*"))
    for seed in range(3):
        client.predict(handle_file(str(drawing(tmp_path / "d.png"))), "edges2shoes", seed, api_name="/translate")
    assert set(Path(tempfile.gettempdir()).glob("pix2pix-*")) == before


def test_a_huge_model_name_is_not_echoed_back(client, tmp_path):
    with pytest.raises(Exception, match="Unknown model") as error:
        client.predict(handle_file(str(drawing(tmp_path / "d.png"))), "x" * 100_000, 0, api_name="/translate")
    assert len(str(error.value)) < 500


def test_internal_errors_reach_the_client_without_server_paths(served):
    import app

    _, url = served
    planted = str(app.ROOT / "examples" / "edges2shoes" / "drawing_sneaker.png")  # a server file, not an upload
    call = httpx.post(f"{url}/gradio_api/call/translate", timeout=30,
                      json={"data": [{"path": planted, "meta": {"_type": "gradio.FileData"}}, "edges2shoes", 0, None]})  # fmt: skip
    events = httpx.get(f"{url}/gradio_api/call/translate/{call.json()['event_id']}", timeout=30).text
    assert "event: error" in events
    assert str(app.ROOT) not in events and "object at 0x" not in events


@pytest.fixture(scope="module")
def server(tiny_weights_dir):
    """The app on 127.0.0.1 with its process, for memory measurements."""
    proc, url = start_app(tiny_weights_dir)
    try:
        yield proc, url
    finally:
        stop_app(proc)


def rss_mb(pid: int) -> float:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_a_huge_request_body_is_refused_before_it_is_read(server):
    proc, url = server
    before = rss_mb(proc.pid)
    body = b'{"session_hash": "s", "component_id": 1, "fn_name": "x", "data": "' + b"a" * 50_000_000 + b'"}'
    reply = httpx.post(f"{url}/gradio_api/component_server/", content=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert reply.status_code == 413
    chunks = (body[i : i + 1_000_000] for i in range(0, len(body), 1_000_000))  # no Content-Length: counted as it comes
    reply = httpx.post(f"{url}/gradio_api/component_server/", content=chunks, headers={"Content-Type": "application/json"}, timeout=60)
    assert reply.status_code == 413
    assert rss_mb(proc.pid) - before < 30
    assert httpx.get(url, timeout=10).status_code == 200


def test_one_visitor_cannot_fill_the_queue_and_lock_out_the_others(tiny_weights_dir, tmp_path):
    """80 queued events from one visitor (the reviewer's attack filled the queue: everyone else got
    503): past QUEUED_PER_VISITOR of theirs waiting they are refused, and another visitor gets in."""
    from concurrent.futures import ThreadPoolExecutor

    import app

    proc, url = start_app(tiny_weights_dir, {"PIX2PIX_PROXY_HOPS": "1"})  # visitors told apart by X-Forwarded-For
    try:
        big = tmp_path / "big.png"
        Image.effect_noise((1024, 1024), 64).convert("RGB").save(big)  # slow enough to keep a queue
        with open(big, "rb") as f:
            path = httpx.post(f"{url}/gradio_api/upload", files={"files": ("big.png", f)}, timeout=30).json()[0]
        fn_index = next(d["id"] for d in httpx.get(f"{url}/config", timeout=10).json()["dependencies"] if d.get("api_name") == "translate")

        def join(address: str, i: int) -> httpx.Response:
            body = {"data": [{"path": path, "meta": {"_type": "gradio.FileData"}}, "edges2shoes", 0, None],
                    "fn_index": fn_index, "session_hash": f"{address}-{i}", "event_data": None, "trigger_id": None}  # fmt: skip
            return httpx.post(f"{url}/gradio_api/queue/join", json=body, headers={"X-Forwarded-For": address}, timeout=30)

        with ThreadPoolExecutor(16) as pool:
            hostile = list(pool.map(lambda i: join("10.0.0.1", i), range(80)))
            polite = join("10.0.0.2", 0)
        refused = [r for r in hostile if r.status_code == 503]
        assert polite.status_code == 200, polite.text
        assert len(refused) > 40 and all("requests waiting already" in r.text for r in refused)
        assert len(hostile) - len(refused) < app.QUEUE_SIZE
    finally:
        stop_app(proc)
