"""pix2pix demo: draw shoe edges and a shoe appears; paint or upload label maps, get facades and streets.

    python app.py                                    # http://127.0.0.1:7860, models from weights/
    python app.py --model edges2shoes=user/repo      # a model from the Hugging Face Hub
    python app.py --host 0.0.0.0 --port 7861         # or GRADIO_SERVER_NAME / GRADIO_SERVER_PORT

API: POST /translate (image, model, seed, hints) -> image, callable with gradio_client (see README).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import html
import io
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

# The app sends nothing anywhere: Gradio's usage analytics stay off, whatever the environment says.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

# On a ZeroGPU Space, CUDA exists only inside functions wrapped by spaces.GPU, and the `spaces`
# package must come before anything touches CUDA. Elsewhere it is never imported, nor needed.
ZERO_GPU = os.environ.get("SPACES_ZERO_GPU", "").lower() in ("1", "t", "true")
ZERO_GPU_SECONDS = 10  # the most one translation may hold the GPU; short calls get queued first
if ZERO_GPU:
    import spaces  # noqa: E402

import anyio  # noqa: E402
import numpy as np  # noqa: E402
import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from PIL import Image, UnidentifiedImageError

from fair_share import Busy, FairShare, Superseded
from model import Stop, Stopped, Translator, WeightsError, load_translator
from model.edges import photo_to_edges
from model.hints import HINT_COLOURS, has_alpha, has_hints
from model.labels import NotALabelMap, prepare_label_map
from model.sketch import PreparedDrawing, prepare_drawing
from model.images import to_rgb
from model.translate import RUNTIMES
from model.weights import is_translator

ROOT = Path(__file__).resolve().parent
OUTPUT_SIZE = 256  # the paper's size, and the canvas's
MAX_PIXELS = 16_000_000  # uploads above this are refused before they are decoded
# PIL refuses to open images over twice its MAX_IMAGE_PIXELS: so the uploads the app opens, and those
# that Gradio decodes before the app sees them (a queued event's image), stop there.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2
MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # Gradio refuses larger files before they reach its upload cache
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # any request body: an upload and its form fields fit
CACHE_LIFETIME_S = 3600  # Gradio's cache of uploads and results: files older than this are deleted
WORK_SIZE = 1024  # larger uploads are scaled down to this before any processing

CANVAS_DIR = ROOT / "canvas"  # the live canvas's HTML, JavaScript and CSS
MAX_DRAWING_BYTES = 4_000_000  # a drawing sent by the canvas, as a data URL
MIN_DRAWING = 0.06  # a drawing whose strokes span less of the canvas than this (a dot) has no usable edges
MIN_PHOTO = 16  # photos narrower than this many pixels have no edges to find
MIN_EDGE_PIXELS = 40  # an edge map with fewer line pixels than this gives only a noisy square
BLANK_PHOTO_STD = 3  # a photo whose grey levels vary less than this is blank (the edge detector sees its border)
MAX_SEED = 2**53 - 1  # the largest whole number a browser holds exactly
REFUSAL_DELAY_S = 1.0  # a busy or superseded answer is sent this much later (a page stops waiting for one it replaced)
MAX_WAIT_S = 5.0  # the longest a translation waits for its turn before the visitor is told the server is busy
QUEUE_SIZE = 64  # events waiting in Gradio's queue (the label and photo tabs, the API), all visitors together
QUEUED_PER_VISITOR = 4  # of which one visitor may hold at most this many: the rest of the queue stays open to others
# Proxies in front of the app, whose X-Forwarded-For says who the visitor is: one on a Space (which
# sets SPACE_ID), none elsewhere unless PIX2PIX_PROXY_HOPS says so.
PROXY_HOPS = int(os.environ.get("PIX2PIX_PROXY_HOPS") or (1 if os.environ.get("SPACE_ID") else 0))
SEED_INFO = ("0: the deterministic output. Another number switches on the generator's dropout noise with that seed "
             "(its only noise, section 3.1 of the paper): a subtle variation, about 1% of the image.")
NOT_UNDERSTOOD = "The page sent a request this server does not understand. Reload the page."
BUSY_MESSAGE = "The server is busy with other visitors' drawings: try again in a moment."


class InputError(ValueError):
    """Input the app cannot use; the message is shown to the person as it is."""


@dataclass
class ModelEntry:
    """A served model, presented as its config.json's "app" block says (see train.describe)."""

    name: str
    translator: Translator
    source: str
    app: dict = field(init=False)

    def __post_init__(self):
        self.app = self.translator.meta.get("app") or {}

    @property
    def kind(self) -> str:
        """"edges" (a drawing or edge map in) or "labels" (a label map in)."""
        return "labels" if self.app.get("kind") == "labels" else "edges"

    @property
    def title(self) -> str:
        return self.app.get("title", self.name)

    @property
    def palette(self) -> dict[str, tuple[int, int, int]]:
        return {k: tuple(v) for k, v in self.app.get("palette", {}).items()}

    def examples(self) -> list[str]:
        """Example inputs: a folder named in the config, relative to the weights folder or to the project."""
        folder = self.app.get("examples")
        if not folder:
            return []
        for base in (Path(self.source).resolve(), ROOT):  # confined to them, links included (load_config checks the name)
            if (base / folder).is_dir():
                return sorted(str(p) for p in (base / folder).glob("*.png") if p.resolve().is_relative_to(base))
        return []


# --------------------------------------------------------------------------- pre/post-processing


def open_upload(path: str | os.PathLike | None, mode: str = "RGB") -> Image.Image:
    """Open an uploaded file as an RGB (or RGBA) image, refusing what is not a sane image with a clear message."""
    if path is None:
        raise InputError("No image was given: upload one first.")
    try:
        with warnings.catch_warnings():  # PIL warns of images near its cap, and refuses those past it (MAX_PIXELS)
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        with im:
            if mode == "RGBA" and not has_alpha(im):
                raise InputError("The hints image has no transparency: paint the hints on a transparent PNG, "
                                 "so that the rest of it asks for nothing.")  # fmt: skip
            im.draft("RGB", (WORK_SIZE, WORK_SIZE))  # JPEGs decode straight to a smaller size
            im.load()
            image = to_rgb(im) if mode == "RGB" else im.convert(mode)
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError(f"The image is over {MAX_PIXELS / 1e6:.0f} megapixels. Scale it down first: the model works at 256x256.") from None
    except UnidentifiedImageError as e:
        raise InputError(f"That file is not an image this app can read ({e.__class__.__name__}). Use a PNG or JPEG.") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise InputError(f"The image could not be decoded ({e}). The file may be truncated or corrupt.") from None
    image.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.LANCZOS)
    return image


def seed_or_none(seed) -> int | None:
    """0 or empty: the deterministic output; any other number: dropout noise with that seed."""
    try:
        seed = int(seed or 0)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"The seed must be a whole number, not {seed!r}.") from None
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"The seed must be between 0 and {MAX_SEED}, not {seed}.")
    return seed or None


def decode_drawing(data_url: str, mode: str = "RGB") -> Image.Image:
    """The canvas's PNG data URL -> an RGB (or RGBA) image, refusing anything else with a clear message."""
    head, _, payload = str(data_url).partition(",")
    if head != "data:image/png;base64" or len(payload) > MAX_DRAWING_BYTES:
        raise InputError("The drawing did not arrive as a PNG of a sane size. Reload the page.")
    try:
        with Image.open(io.BytesIO(base64.b64decode(payload, validate=True))) as im:
            if im.width * im.height > 2048 * 2048:  # the canvas sends 256x256; refuse before decoding
                raise InputError("The drawing is far larger than the canvas sends. Reload the page.")
            im.load()
            return to_rgb(im) if mode == "RGB" else im.convert(mode)
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise InputError("The drawing is far larger than the canvas sends. Reload the page.") from None
    except (ValueError, OSError, UnidentifiedImageError):
        raise InputError("The drawing could not be decoded. Reload the page.") from None


def data_url(image: Image.Image, kind: str = "PNG") -> str:
    buffer = io.BytesIO()
    image.save(buffer, kind, **({"quality": 92} if kind == "JPEG" else {"compress_level": 1}))
    return f"data:image/{kind.lower()};base64," + base64.b64encode(buffer.getvalue()).decode()


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class Notice:
    """Something that went wrong loading a model: the page says what, the server log also why
    (errors name local paths and config contents, which a public page should not show)."""

    page: str
    log: str


def markdown_text(text: str) -> str:
    """text shown as itself in gr.Markdown: no HTML, links or images (a config may come from anyone)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>])", r"\\\1", html.escape(text, quote=False))


def discover_models(weights_dir: Path, overrides: dict[str, str], device: str | None = None, runtime: str = "auto"):
    """Load every model folder in weights_dir, and the overrides (name -> Hub repo id or folder).

    An override that cannot be loaded (no network, unknown repo) falls back to weights_dir/name,
    and a notice says so. runtime: see model.translate.Translator. Returns (models by name, notices).
    """
    models: dict[str, ModelEntry] = {}
    notices = []
    names = sorted(p.name for p in weights_dir.iterdir() if is_translator(p)) if weights_dir.is_dir() else []
    for name in dict.fromkeys([*names, *overrides]):
        source = overrides.get(name)
        if source:
            try:
                models[name] = ModelEntry(name, load_translator(source, device, runtime=runtime), source)
                continue
            except WeightsError as e:
                notices.append(Notice(f"Could not load **{markdown_text(name)}** as asked; using the bundled weights instead.",
                                      f"could not load {name} from {source} ({e}); using the bundled weights instead"))  # fmt: skip
        local = weights_dir / name
        if (local / "config.json").is_file():
            try:
                models[name] = ModelEntry(name, load_translator(local, device, runtime=runtime), str(local))
            except WeightsError as e:
                notices.append(Notice(f"The bundled **{markdown_text(name)}** model could not be loaded, and is left out.",
                                      f"the bundled {name} model could not be loaded, and is left out: {e}"))  # fmt: skip
    return dict(sorted(models.items(), key=lambda kv: (kv[1].kind, kv[1].app.get("order", 99), kv[0]))), notices


def parse_overrides(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        name, sep, source = spec.partition("=")
        if not sep or not name or not source:
            raise SystemExit(f"--model takes NAME=REPO_ID_OR_FOLDER, got {spec!r}")
        out[name.strip()] = source.strip()
    return out


# --------------------------------------------------------------------------- the app


class BodyLimit:
    """ASGI middleware: a request body over `limit` bytes gets 413 before it is read into memory
    (Gradio reads a JSON body whole before any check of the app's)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await self.refuse(send)
        seen, refused = 0, False

        async def counted():  # a body without Content-Length: refused once it passes the limit
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit and not refused:
                refused = True
                await self.refuse(send)
                return {"type": "http.disconnect"}
            return message

        async def unless_refused(message):  # the app's own answer to a refused request is dropped
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted, unless_refused)
        except Exception:
            if not refused:
                raise

    async def refuse(self, send):
        body = b'{"detail": "Request too large."}'
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})


def bound_queue_per_visitor(demo: gr.Blocks, limit: int = QUEUED_PER_VISITOR) -> None:
    """Refuse a visitor's event (POST /queue/join) while `limit` of theirs already wait in the queue, so
    that one client cannot fill it and lock everyone else out. Call it after demo.queue(), which makes
    the queue afresh."""
    queue = demo._queue
    push = queue.push

    async def bounded_push(body, request, username):
        address = visitor(request)[0]
        waiting = sum(visitor(e.request)[0] == address for q in list(queue.event_queue_per_concurrency_id.values())
                      for e in list(q.queue))  # fmt: skip
        if waiting >= limit:
            return False, f"You have {waiting} requests waiting already: wait for them before sending more.", "queue_full"
        return await push(body, request, username)

    queue.push = bounded_push


def on_gpu(models: dict[str, ModelEntry]):
    """translate(name, image, seed, hints, threads, stop) with the served models. On a ZeroGPU Space it
    runs inside spaces.GPU, which attaches a GPU for each call in a forked worker: only the arguments
    (a name, images, a seed, a thread count) travel to it; the models are already there. The stop
    stays behind (it does not pickle, and torch cannot be interrupted): it is checked before the
    call, and a call under way, GPU attachment included, runs to its end."""

    def translate(name: str, image: Image.Image, seed: int | None, hints: Image.Image | None,
                  threads: int | None = None, stop: Stop | None = None) -> Image.Image:  # fmt: skip
        return models[name].translator(image, seed=seed, hints=hints, threads=threads, stop=stop)

    if not ZERO_GPU:
        return translate
    on_zero_gpu = spaces.GPU(duration=ZERO_GPU_SECONDS)(translate)

    def translate_on_zero_gpu(name, image, seed, hints, threads=None, stop: Stop | None = None) -> Image.Image:
        if stop is not None:
            stop.check()
        return on_zero_gpu(name, image, seed, hints, threads)

    return translate_on_zero_gpu


def visitor(request: gr.Request | None, page: str | None = None) -> tuple[str, str]:
    """(client address, session) of a request; one shared visitor for calls without one. The
    session is the page (the canvas names itself), or Gradio's session of an event. Behind
    PROXY_HOPS proxies, the address is the one the outermost proxy saw (the entry it appended to
    X-Forwarded-For); entries further left are whatever the client wrote, so they are not trusted."""
    if request is None or request.client is None:
        return "local", "local"
    address = request.client.host
    forwarded = [a.strip() for a in (request.headers.get("x-forwarded-for") or "").split(",") if a.strip()]
    if PROXY_HOPS and len(forwarded) >= PROXY_HOPS:
        address = forwarded[-PROXY_HOPS]
    session = page or getattr(request, "session_hash", None) or ""
    return address, f"{address}/{str(session)[:64]}"


def translation_slots(models: dict[str, ModelEntry]) -> int:
    """How many translations run at once, each of a different visitor. Four on a GPU. On a CPU two,
    each then on one core: a second visitor waits for no one, and a visitor alone gets every core.
    Eager torch cannot be given fewer threads per call, so with a model on it, one at a time."""
    if any(m.translator.device.type == "cuda" for m in models.values()):
        return 4
    return 2 if all(m.translator.runtime == "onnx" for m in models.values()) else 1


class App:
    """What the page's events and the API call: the models, shared fairly between visitors."""

    def __init__(self, models: dict[str, ModelEntry]):
        self.models = models
        self.share = FairShare(slots=translation_slots(models), max_wait_s=MAX_WAIT_S)
        self.translate = on_gpu(models)

    def model(self, name: str) -> ModelEntry:
        if name not in self.models:
            raise InputError(f"Unknown model {str(name)[:40]!r}. Available: {', '.join(self.models) or 'none'}.")
        return self.models[name]

    def run(self, name: str, image: Image.Image, seed, hints: Image.Image | None = None,
            request: gr.Request | None = None) -> Image.Image:  # fmt: skip
        """hints: RGBA colour hints, for models that take them (None otherwise). Raises Busy when the
        visitor's turn does not come in time, Superseded when a newer request took this one's place."""
        return self.share.run(*visitor(request), lambda: self.infer(name, image, seed, hints))

    def infer(self, name: str, image: Image.Image, seed, hints: Image.Image | None = None,
              stop: Stop | None = None) -> Image.Image:  # fmt: skip
        """One translation, for a caller that already holds its turn: on one core when another turn is
        running as it starts (chosen once: it keeps its threads if another starts later). stop: see
        model.stopping."""
        self.model(name)
        return self.translate(name, image, seed_or_none(seed), hints, self.threads(), stop)

    def threads(self) -> int | None:
        """For a turn starting now: one core when another turn is running, else all."""
        return 1 if self.share.running > 1 else None

    def sketch(self, name: str, drawing: Image.Image, hints: Image.Image | None = None) -> PreparedDrawing | None:
        """A drawing and the colour hints drawn over it (RGBA, or None) -> the edge map and placed hints the
        model is given (model.sketch); None for a drawing without strokes."""
        self.refuse_unwanted_hints(name, hints)
        if hints is not None and hints.size != drawing.size:
            raise InputError(f"The hints image is {hints.size[0]}x{hints.size[1]} but the image is "
                             f"{drawing.size[0]}x{drawing.size[1]}: give hints the size of the image.")  # fmt: skip
        sketch = prepare_drawing(drawing, hints, size=OUTPUT_SIZE)
        if sketch is not None and too_small(sketch.placement):
            raise InputError("The drawing is too small to use: its strokes are a dot. Draw an outline across the canvas.")
        return sketch

    def refuse_unwanted_hints(self, name: str, hints: Image.Image | None) -> None:
        if has_hints(hints) and not self.model(name).translator.takes_hints:
            raise InputError(f"{name} takes no colour hints: leave them out, or pick a model that takes them.")

    def model_input(self, name: str, picture: Image.Image, hints: Image.Image | None = None) -> tuple[Image.Image, Image.Image | None]:
        """What the model is given: a label map snapped to its palette, or a drawing as a thin edge map
        with its colour hints placed over it (None without any)."""
        if self.model(name).kind == "labels":
            self.refuse_unwanted_hints(name, hints)
            return self.label_map(name, picture), None
        sketch = self.sketch(name, picture, hints)
        if sketch is None:
            raise InputError("The drawing is empty: it has no dark strokes.")
        return sketch.edges, sketch.hints

    def label_map(self, name: str, picture: Image.Image) -> Image.Image:
        """A label map (transparency: the background class) snapped to the model's palette at 256x256;
        an image mostly far from the palette is refused with a message."""
        try:
            return prepare_label_map(picture, self.model(name).palette, OUTPUT_SIZE)
        except NotALabelMap as e:
            raise InputError(str(e)) from None

    def photo_edges(self, photo: Image.Image) -> Image.Image:
        """A photo's edge map, refusing photos too small or too blank to have edges."""
        if min(photo.size) < MIN_PHOTO:
            raise InputError(f"The photo is {photo.width}x{photo.height} pixels: too small to find edges in. Use a larger one.")
        blank = np.asarray(photo.convert("L")).std() < BLANK_PHOTO_STD
        edges = None if blank else photo_to_edges(photo, size=OUTPUT_SIZE, threads=self.threads())
        if blank or (np.asarray(edges.convert("L")) < 128).sum() < MIN_EDGE_PIXELS:
            raise InputError("No edges were found in the photo: it looks blank. Use a photo of a shoe (or anything) with visible outlines.")
        return edges

    def translate_drawing(self, drawing: str, hints: str | None, model_name: str, seed, page: str | None = None,
                          number=0, final=False, request: gr.Request | None = None) -> dict:  # fmt: skip
        """The live canvas's server function: PNG data URLs of the drawing and its colour hints (or None) in;
        the shoe and what the model saw (the edge map, hints painted over it), as data URLs. A request
        that a newer one of the same page replaced while it waited gets {"superseded": True}.
        The whole request waits for its turn, decoding included: a crowd of requests then waits
        without taking the CPU from the one being served.
        number: the page's count of its drawings, so that a request overtaken on the way by a newer
        one is refused. final (the drawing as the pen lifts): the page's running translation, of an
        older drawing, stops, and answers {"superseded": True} too; the finished drawing waits for no
        one of its page."""
        stop, number = Stop(), number if type(number) is int else 0
        reply = functools.partial(self.drawing_reply, drawing, hints, model_name, seed, stop)
        try:
            return self.share.run(*visitor(request, page), reply, number, stop, preempts=final is True)
        except (Superseded, Stopped):
            return {"superseded": True}
        except Busy:
            return {"error": BUSY_MESSAGE, "busy": True}

    def drawing_reply(self, drawing: str, hints: str | None, model_name: str, seed, stop: Stop | None = None) -> dict:
        """A canvas's drawing (or painted label map) -> the result and what the model saw, or an error."""
        try:
            if self.model(model_name).kind == "labels":
                picture, hint_image = self.model_input(model_name, decode_drawing(drawing, "RGBA"), decode_hints(hints))
                seen = picture
            else:
                sketch = self.sketch(model_name, decode_drawing(drawing), decode_hints(hints))
                if sketch is None:
                    return {"result": None, "edges": None}
                picture, hint_image, seen = sketch.edges, sketch.hints, sketch.seen
            result = self.infer(model_name, picture, seed, hint_image, stop)
            return {"result": data_url(result, "JPEG"), "edges": data_url(seen)}
        except InputError as e:
            return {"error": str(e)}

    def snapped_label_map(self, image_url: str, model_name: str, page: str | None = None,
                          request: gr.Request | None = None) -> dict:  # fmt: skip
        """An image the label canvas loads (an upload, as a PNG data URL) -> {"map": it snapped to the
        model's palette, as a PNG data URL} or {"error": why it cannot be}. It takes its turn like a
        translation (decoding costs CPU too), apart from the page's drawings, which it must not replace."""
        try:
            return self.share.run(*visitor(request, f"{page}/upload"), lambda: self.snap_reply(image_url, model_name))
        except (Busy, Superseded):
            return {"error": BUSY_MESSAGE, "busy": True}

    def snap_reply(self, image_url: str, model_name: str) -> dict:
        try:
            return {"map": data_url(self.label_map(model_name, decode_drawing(image_url, "RGBA")))}
        except InputError as e:
            return {"error": str(e)}

    def example(self, kind: str, index) -> str | None:
        """A canvas's example, as a PNG data URL (a label map snapped to its model's palette); None
        for an index that names none."""
        try:
            name, path = canvas_examples(self.models, kind)[int(index)]
        except (TypeError, ValueError, IndexError):
            return None
        with Image.open(path) as im:
            if kind == "labels":
                try:
                    return data_url(self.label_map(name, im))
                except InputError:  # a model's example outside its own palette: not offered
                    return None
            return data_url(to_rgb(im).resize((512, 512), Image.Resampling.LANCZOS))


async def held_back(reply) -> dict:
    """reply() in a worker thread; a refused request's answer is then held back on the event loop,
    without a thread, so that a client that floods the server sends a few requests a second, not hundreds."""
    answer = await anyio.to_thread.run_sync(reply)
    if answer.get("busy") or answer.get("superseded"):
        await asyncio.sleep(REFUSAL_DELAY_S)
    return answer


def decode_hints(hints: str | None) -> Image.Image | None:
    return decode_drawing(hints, "RGBA") if hints else None


def too_small(placement) -> bool:
    """Whether a drawing's strokes span too little of it to give edges (a dot, a speck)."""
    left, top, right, bottom = placement.box
    return max(right - left, bottom - top) < MIN_DRAWING * max(placement.source)


def canvas_examples(models: dict[str, ModelEntry], kind: str) -> list[tuple[str, str]]:
    """(model name, file) of each example of the models of a kind ("edges" or "labels"): a model's
    examples show with it only."""
    return [(n, p) for n, m in models.items() if m.kind == kind for p in m.examples()]


def ui(fn):
    """Turn InputError into a message in the UI, instead of an error box with a traceback."""

    @functools.wraps(fn)  # keeps the signature, which names the API's parameters
    def wrapped(*args):
        try:
            return fn(*args)
        except InputError as e:
            raise gr.Error(str(e), print_exception=False) from None
        except (Busy, Superseded):  # events go through Gradio's queue too: a rare wait past MAX_WAIT_S
            raise gr.Error(BUSY_MESSAGE, print_exception=False) from None

    return wrapped


def thumbnail(path: str) -> str:
    with Image.open(path) as im:
        image = to_rgb(im)
    image.thumbnail((88, 88))
    return data_url(image)


# kind -> tab name, the canvas's id, the component's id
CANVASES = {"edges": ("Draw", "sketch", "live-canvas"), "labels": ("Label map", "labels", "live-labels")}


def build_canvas_tab(app: App, kind: str) -> None:
    """A live canvas (canvas/): a gr.HTML whose JavaScript draws, or paints a label map with a
    model's palette, and calls the server function per change."""
    tab, canvas_id, elem_id = CANVASES[kind]
    models = [m for m in app.models.values() if m.kind == kind]
    # Names and titles go into the page's HTML: escaped, since a model's config may come from anyone on the Hub.
    examples = [{"name": html.escape(example_name(p)), "thumb": thumbnail(p), "model": html.escape(n)}
                for n, p in canvas_examples(app.models, kind)]  # fmt: skip

    # Plain functions: gradio marks server functions with an attribute, which a bound method cannot
    # take. Gradio 6 hands a server function the JavaScript call's arguments as one list (or the
    # argument itself when there is one).
    # A parameter typed gr.Request gets the HTTP request: who is asking, for the fair share. Async: see held_back.
    async def translate_drawing(args: list, request: gr.Request) -> dict:
        # drawing, hints, model, seed (, page id, the drawing's number, final)
        if not isinstance(args, list) or not 4 <= len(args) <= 7:
            return {"error": NOT_UNDERSTOOD}
        return await held_back(lambda: app.translate_drawing(*args, request=request))

    def example_drawing(index) -> str | None:
        return app.example(kind, index)

    async def snap_label_map(args: list, request: gr.Request) -> dict:
        if not isinstance(args, list) or len(args) != 3:  # image, model, page id
            return {"error": NOT_UNDERSTOOD}
        return await held_back(lambda: app.snapped_label_map(*args, request=request))

    with gr.Tab(tab, visible=bool(models)):
        gr.HTML(
            html_template=(CANVAS_DIR / "canvas.html").read_text(),
            css_template=(CANVAS_DIR / "canvas.css").read_text(),
            js_on_load=(CANVAS_DIR / "canvas.js").read_text(),
            server_functions=[translate_drawing, example_drawing] + ([snap_label_map] if kind == "labels" else []),
            mode="palette" if kind == "labels" else "draw", canvas_id=canvas_id,
            models=[{"name": html.escape(m.name), "title": html.escape(m.title), "hints": m.translator.takes_hints,
                     "palette": [{"name": html.escape(k), "colour": "#%02x%02x%02x" % c} for k, c in m.palette.items()]}
                    for m in models],
            hint_colours=[{"name": n, "value": v} for n, v in HINT_COLOURS.items()],  # the picker offers any other
            examples=examples, seed_info=html.escape(SEED_INFO), elem_id=elem_id, apply_default_css=False,
        )  # fmt: skip


def example_name(path: str) -> str:
    """What an example is, from its file name: drawing_boot.png -> "drawing: boot"."""
    kind, _, what = Path(path).stem.partition("_")
    return f"{kind}: {what.replace('_', ' ')}" if what else kind.replace("_", " ")


def seed_box() -> gr.Number:
    """A tab's variation seed: each tab has its own, so that a change reaches one tab's handler, once."""
    return gr.Number(0, precision=0, minimum=0, maximum=MAX_SEED, label="Variation seed", info=SEED_INFO)


def build_photo_tab(app: App) -> None:
    edge_models = [(m.title, n) for n, m in app.models.items() if m.kind == "edges"]

    @ui
    def on_photo(path, name, seed, request: gr.Request):
        if path is None:
            return None, None, None
        photo = open_upload(path)
        edges = app.photo_edges(photo)
        return photo, edges, app.run(name, edges, seed, request=request)

    with gr.Tab("Photo", visible=bool(edge_models)):
        with gr.Row():
            with gr.Column():
                photo_model = gr.Dropdown(edge_models, value=edge_models[0][1] if edge_models else None, label="Model")
                photo = gr.File(label="Upload a photo of a shoe (or anything)")
                seed = seed_box()
                photo_shown = gr.Image(label="Your photo", type="pil", height=256, interactive=False)
            with gr.Column():
                photo_edges = gr.Image(label="Extracted edges", type="pil", format="png", height=256, interactive=False)
                photo_out = gr.Image(label="Result", type="pil", format="png", interactive=False)
        gr.on([photo.change, photo_model.change, seed.change], on_photo, [photo, photo_model, seed], [photo_shown, photo_edges, photo_out],
              api_visibility="private")  # fmt: skip


def build_api(app: App) -> None:
    """POST /translate: hidden components, so that gradio_client can upload the image file."""

    @ui
    def translate(image: str, model_name: str = "edges2shoes", seed: int = 0, hints: str | None = None,
                  request: gr.Request = None) -> Image.Image:  # fmt: skip
        """Translate one image with a pix2pix model.

        image: the input (an edge map or drawing for edges2*, a label map for facades/cityscapes).
        model_name: one of the models this app serves.
        seed: 0 for the deterministic output; another number adds dropout noise with that seed.
        hints: optional RGBA PNG the size of image; its opaque pixels ask for their colour there
            (models trained with hints, such as edges2shoes).
        Returns the 256x256 translation as a PNG file.
        """
        upload = open_upload(image)
        try:
            hint_image = open_upload(hints, "RGBA") if hints is not None else None
        except InputError as e:
            raise InputError(f"The hints file: {e}") from None
        picture, hint_image = app.model_input(model_name, upload, hint_image)
        return app.run(model_name, picture, seed, hint_image, request=request)  # Gradio keeps it in its cache

    with gr.Row(visible=False):
        api_image = gr.File(label="image", file_types=["image"])
        api_model = gr.Textbox(label="model_name", value=next(iter(app.models), ""))
        api_seed = gr.Number(0, precision=0, label="seed")
        api_hints = gr.File(label="hints", file_types=["image"])
        api_result = gr.Image(label="result", type="pil", format="png")
        api_button = gr.Button("translate")
    api_button.click(translate, [api_image, api_model, api_seed, api_hints], api_result, api_name="translate")


def build_app(models: dict[str, ModelEntry], notices: list[Notice] | None = None) -> gr.Blocks:
    app = App(models)
    device = next(iter(models.values())).translator.device.type if models else "cpu"
    with gr.Blocks(title="pix2pix: draw edges, get a shoe", analytics_enabled=False,
                   delete_cache=(CACHE_LIFETIME_S // 4, CACHE_LIFETIME_S)) as demo:  # fmt: skip
        gr.Markdown(
            "# pix2pix: draw edges, get a shoe\n"
            "A conditional GAN (Isola et al., CVPR 2017) turns line drawings into shoes and label maps into "
            f"facades and streets. Running on the **{device.upper()}**. Models: "
            + (", ".join(markdown_text(f"{n} ({m.title})") for n, m in models.items()) or "none found in weights/")
        )
        for notice in notices or []:
            gr.Markdown(f"⚠️ {notice.page}", elem_classes=["notice"])
        with gr.Tabs():
            build_canvas_tab(app, "edges")  # the canvases hold their own seed boxes
            build_canvas_tab(app, "labels")
            build_photo_tab(app)
        build_api(app)
    return demo


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    p.add_argument("--weights-dir", type=Path, default=Path(os.environ.get("PIX2PIX_WEIGHTS_DIR", ROOT / "weights")))
    p.add_argument("--model", action="append", default=[], metavar="NAME=REPO_OR_FOLDER",
                   help="load NAME from a Hub repo id or folder (repeatable); env PIX2PIX_MODELS='a=x,b=y'")  # fmt: skip
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--runtime", choices=RUNTIMES, default=os.environ.get("PIX2PIX_RUNTIME", "auto"),
                   help="onnx: ONNX Runtime on the CPU; torch: eager; auto (default): torch on a GPU, else onnx where installed")  # fmt: skip
    args = p.parse_args(argv)
    specs = [s for s in os.environ.get("PIX2PIX_MODELS", "").split(",") if s.strip()] + args.model
    try:
        models, notices = discover_models(args.weights_dir, parse_overrides(specs), args.device, args.runtime)
    except ValueError as e:  # a runtime this machine cannot give
        raise SystemExit(f"error: {e}") from None
    if not models:
        raise SystemExit(f"No models found in {args.weights_dir} (each needs config.json and model.safetensors).")
    for notice in notices:
        print("notice:", notice.log)
    first = next(iter(models.values())).translator
    print(f"models on {first.device} ({first.runtime}): {', '.join(models)}", flush=True)
    demo = build_app(models, notices)
    demo.queue(default_concurrency_limit=translation_slots(models), max_size=QUEUE_SIZE)
    bound_queue_per_visitor(demo)
    # show_error off: the messages meant for people (gr.Error) still show; internal ones stay in the log.
    demo.launch(server_name=args.host, server_port=args.port, show_error=False, max_file_size=MAX_UPLOAD_BYTES,
                app_kwargs={"middleware": [Middleware(BodyLimit, limit=MAX_REQUEST_BYTES)]})  # fmt: skip


if __name__ == "__main__":
    main()
