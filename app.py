"""pix2pix demo: draw shoe edges and a shoe appears; paint or upload label maps, get facades and streets.

    python app.py                                    # http://127.0.0.1:7860, models from weights/
    python app.py --model edges2shoes=user/repo      # a model from the Hugging Face Hub
    python app.py --host 0.0.0.0 --port 7861         # or GRADIO_SERVER_NAME / GRADIO_SERVER_PORT

API: POST /translate (image, model, seed) -> image, callable with gradio_client (see README).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from model import Translator, WeightsError, load_translator
from model.edges import drawing_to_edges, photo_to_edges
from model.images import to_rgb

ROOT = Path(__file__).resolve().parent
OUTPUT_SIZE = 256  # the paper's size, and the canvas's
MAX_PIXELS = 40_000_000  # uploads above this are refused before they are decoded
WORK_SIZE = 1024  # larger uploads are scaled down to this before any processing
CANVAS = 384  # sketchpad pixels: enough for a 256 edge map, small enough to send on every stroke

# Label colours as the models saw them in training. The facades maps are the CMP classes
# coloured with MATLAB's jet(12); their JPEG compression shifts the blues, and these are the
# shifted colours measured on the training set. Cityscapes uses its own label colours.
PALETTES = {
    "facades": {
        "background": (6, 6, 174), "facade": (2, 50, 254), "window": (2, 130, 254), "door": (2, 206, 254),
        "cornice": (34, 254, 226), "sill": (114, 254, 142), "balcony": (194, 254, 62), "blind": (254, 242, 2),
        "deco": (254, 158, 2), "molding": (254, 82, 2), "pillar": (254, 2, 2), "shop": (174, 2, 2),
    },
    "cityscapes": {
        "road": (128, 64, 128), "sidewalk": (244, 35, 232), "building": (70, 70, 70), "wall": (102, 102, 156),
        "fence": (190, 153, 153), "pole": (153, 153, 153), "traffic light": (250, 170, 30),
        "traffic sign": (220, 220, 0), "vegetation": (107, 142, 35), "terrain": (152, 251, 152),
        "sky": (70, 130, 180), "person": (220, 20, 60), "rider": (255, 0, 0), "car": (0, 0, 142),
        "truck": (0, 0, 70), "bus": (0, 60, 100), "train": (0, 80, 100), "motorcycle": (0, 0, 230),
        "bicycle": (119, 11, 32), "void": (0, 0, 0),
    },
}  # fmt: skip
TITLES = {
    "edges2shoes": "edges → shoe",
    "edges2handbags": "edges → handbag",
    "facades": "label map → facade",
    "cityscapes": "label map → street",
}


class InputError(ValueError):
    """Input the app cannot use; the message is shown to the person as it is."""


@dataclass
class ModelEntry:
    name: str
    translator: Translator
    source: str
    kind: str = field(init=False)  # "edges" (a drawing or edge map in) or "labels" (a label map in)

    def __post_init__(self):
        self.kind = "labels" if self.name in PALETTES else "edges"


# --------------------------------------------------------------------------- pre/post-processing


def open_upload(path: str | os.PathLike | None) -> Image.Image:
    """Open an uploaded file as an RGB image, refusing what is not a sane image with a clear message."""
    if path is None:
        raise InputError("No image was given: upload one first.")
    try:
        with warnings.catch_warnings():  # PIL warns of huge images at open; the check below refuses them
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        with im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise InputError(f"The image is {w}x{h} ({w * h / 1e6:.0f} megapixels); the limit is "
                                 f"{MAX_PIXELS / 1e6:.0f}. Scale it down first: the model works at 256x256.")  # fmt: skip
            im.draft("RGB", (WORK_SIZE, WORK_SIZE))  # JPEGs decode straight to a smaller size
            im.load()
            image = to_rgb(im)
    except InputError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as e:
        raise InputError(f"That file is not an image this app can read ({e.__class__.__name__}). Use a PNG or JPEG.") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise InputError(f"The image could not be decoded ({e}). The file may be truncated or corrupt.") from None
    image.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.LANCZOS)
    return image


def sketch_to_input(value) -> Image.Image | None:
    """The sketchpad's value -> the edge map the model was trained on (black 1-px lines on white, 256x256).

    Gradio gives a dict with a composite image (RGBA, transparent where nothing is drawn);
    it is composited over white. None when nothing is drawn yet.
    """
    if value is None:
        return None
    composite = value.get("composite") if isinstance(value, dict) else value
    if composite is None:
        return None
    if isinstance(composite, np.ndarray):
        composite = Image.fromarray(composite)
    elif not isinstance(composite, Image.Image):
        composite = Image.open(composite)
    return drawing_to_edges(composite, size=OUTPUT_SIZE)


def snap_to_palette(image: Image.Image, palette: dict[str, tuple[int, int, int]]) -> Image.Image:
    """Each pixel -> the nearest palette colour, so that JPEG noise or antialiasing becomes a clean label."""
    colours = np.array(list(palette.values()), dtype=np.int32)
    pixels = np.asarray(image.convert("RGB"), dtype=np.int32)
    distance = ((pixels[:, :, None, :] - colours[None, None]) ** 2).sum(-1)
    return Image.fromarray(colours[distance.argmin(-1)].astype(np.uint8), "RGB")


def label_map_to_input(image: Image.Image, name: str) -> Image.Image:
    image = to_rgb(image).resize((OUTPUT_SIZE, OUTPUT_SIZE), Image.Resampling.NEAREST)
    return snap_to_palette(image, PALETTES[name])


def side_by_side(left: Image.Image, right: Image.Image) -> Image.Image:
    out = Image.new("RGB", (2 * OUTPUT_SIZE, OUTPUT_SIZE), "white")
    out.paste(left.convert("RGB").resize((OUTPUT_SIZE, OUTPUT_SIZE)), (0, 0))
    out.paste(right.convert("RGB").resize((OUTPUT_SIZE, OUTPUT_SIZE)), (OUTPUT_SIZE, 0))
    return out


def blank_canvas(size: int) -> dict:
    white = Image.new("RGB", (size, size), "white")
    return {"background": white, "layers": [], "composite": white}


def random_example(paths: list[str]) -> dict | None:
    """A random example file as a sketchpad value (the example as the background, no strokes)."""
    if not paths:
        return None
    image = Image.open(random.choice(paths)).convert("RGB")
    return {"background": image, "layers": [], "composite": image}


def seed_or_none(seed) -> int | None:
    """0 or empty: the deterministic output; any other number: dropout noise with that seed."""
    try:
        seed = int(seed or 0)
    except (TypeError, ValueError):
        raise InputError(f"The seed must be a whole number, not {seed!r}.") from None
    return seed or None


# --------------------------------------------------------------------------- models


def is_translator(folder: Path) -> bool:
    """A weights folder of a model the app serves (not, say, the edge detector of the Photo tab)."""
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return config.get("task", "translate") == "translate"


def discover_models(weights_dir: Path, overrides: dict[str, str], device: str | None = None):
    """Load every model folder in weights_dir, and the overrides (name -> Hub repo id or folder).

    An override that cannot be loaded (no network, unknown repo) falls back to weights_dir/name,
    and a notice says so. Returns (models by name, notices).
    """
    models: dict[str, ModelEntry] = {}
    notices = []
    names = sorted(p.name for p in weights_dir.iterdir() if is_translator(p)) if weights_dir.is_dir() else []
    for name in dict.fromkeys([*names, *overrides]):
        source = overrides.get(name)
        if source:
            try:
                models[name] = ModelEntry(name, load_translator(source, device), source)
                continue
            except WeightsError as e:
                notices.append(f"Could not load **{name}** from `{source}` ({e}). Using the bundled weights instead.")
        local = weights_dir / name
        if (local / "config.json").is_file():
            try:
                models[name] = ModelEntry(name, load_translator(local, device), str(local))
            except WeightsError as e:
                notices.append(f"The bundled **{name}** model could not be loaded: {e}")
    return dict(sorted(models.items(), key=lambda kv: list(TITLES).index(kv[0]) if kv[0] in TITLES else 99)), notices


def parse_overrides(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        name, sep, source = spec.partition("=")
        if not sep or not name or not source:
            raise SystemExit(f"--model takes NAME=REPO_ID_OR_FOLDER, got {spec!r}")
        out[name.strip()] = source.strip()
    return out


def example_files(name: str) -> list[str]:
    folder = ROOT / "examples" / name
    return sorted(str(p) for p in folder.glob("*.png")) if folder.is_dir() else []


# --------------------------------------------------------------------------- the app


def build_app(models: dict[str, ModelEntry], notices: list[str] | None = None) -> gr.Blocks:
    edge_models = [n for n, m in models.items() if m.kind == "edges"]
    label_models = [n for n, m in models.items() if m.kind == "labels"]
    device = next(iter(models.values())).translator.device.type if models else "cpu"

    def model(name: str) -> ModelEntry:
        if name not in models:
            raise InputError(f"Unknown model {name!r}. Available: {', '.join(models) or 'none'}.")
        return models[name]

    def run(name: str, image: Image.Image, seed) -> Image.Image:
        return model(name).translator(image, seed=seed_or_none(seed))

    def ui(fn):
        """Turn InputError into a message in the UI, instead of an error box with a traceback."""

        @functools.wraps(fn)  # keeps the signature, which names the API's parameters
        def wrapped(*args):
            try:
                return fn(*args)
            except InputError as e:
                raise gr.Error(str(e), print_exception=False) from None

        return wrapped

    @ui
    def on_sketch(value, name, seed):
        edges = sketch_to_input(value)
        if edges is None:
            return None, None  # an empty canvas: nothing to show yet
        return edges, run(name, edges, seed)

    @ui
    def on_label_map(path, name, seed):
        if path is None:
            return None, None
        labels = label_map_to_input(open_upload(path), name)
        return labels, run(name, labels, seed)

    @ui
    def on_painted_labels(value, name, seed):
        composite = value.get("composite") if isinstance(value, dict) else None
        if composite is None:
            return None, None
        labels = label_map_to_input(composite, name)
        return labels, run(name, labels, seed)

    @ui
    def on_photo(path, name, seed):
        if path is None:
            return None, None
        edges = photo_to_edges(open_upload(path), size=OUTPUT_SIZE)
        return edges, run(name, edges, seed)

    @ui
    def make_side_by_side(left, right):
        if left is None or right is None:
            raise InputError("Nothing to download yet: draw or upload something first.")
        path = Path(tempfile.mkdtemp(prefix="pix2pix-")) / "input_and_result.png"
        side_by_side(left, right).save(path)
        return gr.File(value=str(path), visible=True)

    @ui
    def translate(image: str, model_name: str = "edges2shoes", seed: int = 0) -> str:
        """Translate one image with a pix2pix model.

        image: the input (an edge map or drawing for edges2*, a label map for facades/cityscapes).
        model_name: one of the models this app serves.
        seed: 0 for the deterministic output; another number adds dropout noise with that seed.
        Returns the 256x256 translation as a PNG file.
        """
        entry = model(model_name)
        picture = open_upload(image)
        if entry.kind == "labels":
            picture = label_map_to_input(picture, model_name)
        else:
            picture = drawing_to_edges(picture, size=OUTPUT_SIZE)
            if picture is None:
                raise InputError("The drawing is empty: it has no dark strokes.")
        path = Path(tempfile.mkdtemp(prefix="pix2pix-")) / "result.png"
        run(model_name, picture, seed).save(path)
        return str(path)

    with gr.Blocks(title="pix2pix: draw edges, get a shoe") as demo:
        gr.Markdown(
            "# pix2pix: draw edges, get a shoe\n"
            "A conditional GAN (Isola et al., CVPR 2017) turns line drawings into shoes and label maps into "
            f"facades and streets. Running on the **{device.upper()}**. Models: "
            + (", ".join(f"{n} ({TITLES.get(n, n)})" for n in models) or "none found in weights/")
        )
        for notice in notices or []:
            gr.Markdown(f"⚠️ {notice}", elem_classes=["notice"])
        seed = gr.Number(0, precision=0, label="Variation seed (0: none; any other number adds dropout noise, section 3.1)")

        with gr.Tab("Sketch → shoe", visible=bool(edge_models)):
            with gr.Row():
                with gr.Column():
                    sketch_model = gr.Dropdown(edge_models, value=edge_models[0] if edge_models else None, label="Model")
                    sketch = gr.Sketchpad(
                        label="Draw the outline of a shoe (toe left or right); the shoe updates as you draw",
                        type="pil", image_mode="RGBA", canvas_size=(CANVAS, CANVAS), fixed_canvas=True, format="png",
                        brush=gr.Brush(default_size=3, colors=["#000000"], color_mode="fixed"),
                        eraser=gr.Eraser(default_size=12), layers=False, elem_id="sketch",
                        value=blank_canvas(CANVAS),
                    )  # fmt: skip
                with gr.Column():
                    sketch_edges = gr.Image(label="What the model sees", type="pil", format="png", height=256, elem_id="sketch-edges", interactive=False)
                    sketch_out = gr.Image(label="Result", type="pil", format="png", elem_id="sketch-result", interactive=False)
            with gr.Row():
                random_sketch = gr.Button("Random example", elem_id="random-sketch")
                sketch_pair = gr.Button("Input | result as one PNG")
            sketch_file = gr.File(label="Download", visible=False)
            sketch_examples = [p for n in edge_models for p in example_files(n)]
            inputs = [sketch, sketch_model, seed]
            if sketch_examples:
                examples = gr.Examples([[p] for p in sketch_examples], inputs=[sketch], examples_per_page=12,
                                       label="Examples: drawings, and edge maps of the val splits")  # fmt: skip
                examples.load_input_event.then(on_sketch, inputs, [sketch_edges, sketch_out], show_progress="hidden",
                                               api_visibility="private")  # fmt: skip
            # .input fires on every stroke (and erase, undo, clear); always_last drops stale requests.
            sketch.input(on_sketch, inputs, [sketch_edges, sketch_out], trigger_mode="always_last",
                         show_progress="hidden", api_visibility="private")  # fmt: skip
            sketch.clear(lambda: (None, None), None, [sketch_edges, sketch_out], api_visibility="private")
            for trigger in (sketch_model.change, seed.change):
                trigger(on_sketch, inputs, [sketch_edges, sketch_out], show_progress="hidden", api_visibility="private")
            random_sketch.click(lambda: random_example(sketch_examples), None, sketch, api_visibility="private").then(
                on_sketch, inputs, [sketch_edges, sketch_out], show_progress="hidden", api_visibility="private")
            sketch_pair.click(make_side_by_side, [sketch_edges, sketch_out], sketch_file, api_visibility="private")

        with gr.Tab("Label map → photo", visible=bool(label_models)):
            with gr.Row():
                with gr.Column():
                    label_model = gr.Dropdown(label_models, value=label_models[0] if label_models else None, label="Model")
                    label_upload = gr.Image(label="Upload a label map (colours are snapped to the palette)",
                                            type="filepath", image_mode=None, sources=["upload", "clipboard"])  # fmt: skip
                    palette_md = gr.Markdown()
                    label_paint = gr.Paint(label="…or paint one with the palette", type="pil", image_mode="RGB",
                                           canvas_size=(256, 256), layers=False)  # fmt: skip
                with gr.Column():
                    label_seen = gr.Image(label="What the model sees", type="pil", format="png", height=256, interactive=False)
                    label_out = gr.Image(label="Result", type="pil", format="png", interactive=False, elem_id="label-result")
            with gr.Row():
                random_label = gr.Button("Random example", elem_id="random-label")
                label_pair = gr.Button("Input | result as one PNG")
            label_file = gr.File(label="Download", visible=False)
            label_examples = [[p, n] for n in label_models for p in example_files(n)]
            if label_examples:  # each example comes with its model, so that it is read with the right palette
                gr.Examples(label_examples, inputs=[label_upload, label_model],
                            label="Examples: facades val label maps, and drawn street scenes")  # fmt: skip

            def palette_for(name):
                palette = PALETTES.get(name)
                if not palette:  # no label model loaded: the tab is hidden
                    return "", gr.Paint()
                swatches = " ".join(f"<span style='background:rgb{c};padding:0 .6em;border:1px solid #888'>&nbsp;</span> {k}"
                                    for k, c in palette.items())  # fmt: skip
                brush = gr.Brush(colors=[f"#{r:02x}{g:02x}{b:02x}" for r, g, b in palette.values()], color_mode="fixed",
                                 default_size=12)  # fmt: skip
                first = next(iter(palette.values()), (255, 255, 255))
                background = Image.new("RGB", (256, 256), first)
                return swatches, gr.Paint(brush=brush, value={"background": background, "layers": [], "composite": background})

            label_model.change(palette_for, label_model, [palette_md, label_paint], api_visibility="private")
            demo.load(palette_for, label_model, [palette_md, label_paint], api_visibility="private")
            label_inputs = [label_upload, label_model, seed]
            label_upload.change(on_label_map, label_inputs, [label_seen, label_out], api_visibility="private")
            label_model.change(on_label_map, label_inputs, [label_seen, label_out], api_visibility="private")
            label_paint.input(on_painted_labels, [label_paint, label_model, seed], [label_seen, label_out],
                               trigger_mode="always_last", show_progress="hidden", api_visibility="private")  # fmt: skip
            # label_upload.change then translates the example.
            random_label.click(lambda: tuple(random.choice(label_examples)) if label_examples else (None, None), None,
                               [label_upload, label_model], api_visibility="private")  # fmt: skip
            label_pair.click(make_side_by_side, [label_seen, label_out], label_file, api_visibility="private")

        with gr.Tab("Photo → edges → shoe", visible=bool(edge_models)):
            with gr.Row():
                with gr.Column():
                    photo_model = gr.Dropdown(edge_models, value=edge_models[0] if edge_models else None, label="Model")
                    photo = gr.Image(label="Upload a photo of a shoe (or anything)", type="filepath", image_mode=None,
                                     sources=["upload", "clipboard"])  # fmt: skip
                with gr.Column():
                    photo_edges = gr.Image(label="Extracted edges", type="pil", format="png", height=256, interactive=False)
                    photo_out = gr.Image(label="Result", type="pil", format="png", interactive=False)
            photo.change(on_photo, [photo, photo_model, seed], [photo_edges, photo_out], api_visibility="private")

        # The API: hidden components, so that gradio_client can upload the image file.
        with gr.Row(visible=False):
            api_image = gr.File(label="image", file_types=["image"])
            api_model = gr.Textbox(label="model_name", value=next(iter(models), ""))
            api_seed = gr.Number(0, precision=0, label="seed")
            api_result = gr.Image(label="result", type="filepath", format="png")
            api_button = gr.Button("translate")
        api_button.click(translate, [api_image, api_model, api_seed], api_result, api_name="translate")
    return demo


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    p.add_argument("--weights-dir", type=Path, default=Path(os.environ.get("PIX2PIX_WEIGHTS_DIR", ROOT / "weights")))
    p.add_argument("--model", action="append", default=[], metavar="NAME=REPO_OR_FOLDER",
                   help="load NAME from a Hub repo id or folder (repeatable); env PIX2PIX_MODELS='a=x,b=y'")  # fmt: skip
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    args = p.parse_args(argv)
    specs = [s for s in os.environ.get("PIX2PIX_MODELS", "").split(",") if s.strip()] + args.model
    models, notices = discover_models(args.weights_dir, parse_overrides(specs), args.device)
    if not models:
        raise SystemExit(f"No models found in {args.weights_dir} (each needs config.json and model.safetensors).")
    for notice in notices:
        print("notice:", notice.replace("**", ""))
    cuda = torch.cuda.is_available() and args.device != "cpu"
    print(f"models on {next(iter(models.values())).translator.device}: {', '.join(models)}", flush=True)
    demo = build_app(models, notices)
    # One inference at a time on the CPU: two would fight over the same cores and both slow down.
    demo.queue(default_concurrency_limit=4 if cuda else 1, max_size=64)
    demo.launch(server_name=args.host, server_port=args.port, show_error=True)


if __name__ == "__main__":
    main()
