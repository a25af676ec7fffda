"""ONNX export and the ONNX Runtime path of load_translator: parity with eager fp32, choice, cache, fallback."""

import threading
from pathlib import Path

import pytest
import torch
from PIL import Image

from model import GeneratorConfig, UNetGenerator, load_translator
from model import onnx_runtime
from model.translate import Translator
from tests.conftest import torch_computation

pytest.importorskip("onnxruntime")
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SHIPPED = ["edges2shoes", "edges2handbags", "facades", "cityscapes"]


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PIX2PIX_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_model_matches_eager_fp32_on_its_examples(name):
    eager = load_translator(ROOT / "weights" / name, device="cpu", runtime="torch")
    fast = load_translator(ROOT / "weights" / name, device="cpu", runtime="onnx")
    assert fast.runtime == "onnx" and eager.runtime == "torch"
    images = [Image.open(p).convert("RGB") for p in sorted((EXAMPLES / name).glob("*.png"))]
    batch = torch.stack([eager.preprocess(im) for im in images])
    difference = (eager.translate_tensor(batch) - fast.translate_tensor(batch)).abs().max().item()
    print(f"{name}: max abs difference {difference:.2e} over {len(images)} examples")
    assert difference <= 1e-4


def test_colour_hints_match_eager_and_no_hints_take_the_base_graph():
    weights = ROOT / "weights" / "edges2shoes"
    eager = load_translator(weights, device="cpu", runtime="torch")
    fast = load_translator(weights, device="cpu", runtime="onnx")
    drawing = Image.open(EXAMPLES / "edges2shoes" / "drawing_sneaker.png")
    for hints in sorted((EXAMPLES / "edges2shoes" / "hints").glob("*.png")):
        x = eager.preprocess(drawing)[None]
        h = eager.preprocess_hints(Image.open(hints), drawing.size)[None]
        assert (eager.translate_tensor(x, hints=h) - fast.translate_tensor(x, hints=h)).abs().max() <= 1e-4
    blank = torch.zeros_like(h)
    assert torch.equal(fast.translate_tensor(x, hints=blank), fast.translate_tensor(x))


def test_seeded_variations_stay_on_torch():
    weights = ROOT / "weights" / "edges2shoes"
    eager = load_translator(weights, device="cpu", runtime="torch")
    fast = load_translator(weights, device="cpu", runtime="onnx")
    x = eager.preprocess(Image.open(EXAMPLES / "edges2shoes" / "drawing_boot.png"))[None]
    assert torch.equal(eager.translate_tensor(x, seed=3), fast.translate_tensor(x, seed=3))


def test_auto_takes_onnx_on_the_cpu_and_falls_back_to_torch_without_onnxruntime(monkeypatch):
    generator = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, norm="instance"))
    assert Translator(generator, device="cpu").runtime == "onnx"
    monkeypatch.setattr(onnx_runtime, "onnxruntime_available", lambda: False)
    fallback = Translator(generator, device="cpu")
    assert fallback.runtime == "torch" and fallback.onnx is None
    assert fallback.translate_tensor(torch.zeros(1, 3, 32, 32)).shape == (1, 3, 32, 32)
    with pytest.raises(ValueError, match="pip install onnx onnxruntime"):
        Translator(generator, device="cpu", runtime="onnx")
    with pytest.raises(ValueError, match="runtime must be one of"):
        Translator(generator, device="cpu", runtime="tensorrt")


def test_auto_falls_back_to_torch_when_the_export_fails(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no exporter here")

    monkeypatch.setattr(onnx_runtime, "export_onnx", broken)
    generator = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, norm="instance"))
    with pytest.warns(UserWarning, match="eager torch"):
        assert Translator(generator, device="cpu").runtime == "torch"
    with pytest.raises(RuntimeError, match="no exporter here"):
        Translator(generator, device="cpu", runtime="onnx")


def test_a_translation_on_one_core_gives_the_same_shoe_and_runs_beside_another(monkeypatch):
    monkeypatch.setattr(onnx_runtime.torch, "get_num_threads", lambda: 2)  # as on a machine with two cores
    fast = Translator(UNetGenerator(GeneratorConfig(image_size=64, ngf=8, norm="instance", hints=True)), device="cpu",
                      runtime="onnx")  # fmt: skip
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    hints = torch.zeros(1, 4, 64, 64)
    hints[:, :, 20:30, 20:30] = 1
    whole = [fast.translate_tensor(x), fast.translate_tensor(x, hints=hints)]
    outputs = {}

    def on_one_core(k):
        outputs[k] = [fast.translate_tensor(x, threads=1), fast.translate_tensor(x, hints=hints, threads=1)]

    workers = [threading.Thread(target=on_one_core, args=(k,)) for k in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for k in range(2):
        assert all((a - b).abs().max() <= 1e-5 for a, b in zip(whole, outputs[k]))
    assert sorted(t for _, t in fast.onnx.sessions) == [1, 1, 2, 2]  # a one-thread session per graph, made once
    assert fast.translate_tensor(x, threads=8).equal(whole[0])  # never more threads than the default


def test_the_graph_is_exported_once_per_weights(tmp_path):
    generator = UNetGenerator(GeneratorConfig(image_size=32, ngf=8, norm="instance"))
    Translator(generator, device="cpu", runtime="onnx")
    files = sorted((tmp_path / "cache" / "onnx").glob("*.onnx"))
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    Translator(generator, device="cpu", runtime="onnx")
    assert files[0].stat().st_mtime_ns == stamp  # read from the cache, not exported again
    with torch.no_grad():
        generator.out[1].bias.add_(0.1)
    Translator(generator, device="cpu", runtime="onnx")
    assert len(list((tmp_path / "cache" / "onnx").glob("*.onnx"))) == 2  # other weights, another graph


def test_the_command_writes_graphs_that_run_with_onnxruntime_alone(tmp_path):
    import numpy as np
    import onnxruntime as ort

    out = tmp_path / "shoes.onnx"
    assert onnx_runtime.main([str(ROOT / "weights" / "edges2shoes"), "--out", str(out)]) == 0
    assert out.is_file() and (tmp_path / "shoes-hints.onnx").is_file()
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    size = session.get_inputs()[0].shape[2]
    image = np.ones((1, 3, size, size), np.float32)
    (output,) = session.run(None, {"image": image})
    assert output.shape == image.shape and np.abs(output).max() <= 1 + 1e-6  # tanh, to float precision


def test_a_translation_on_onnx_runtime_runs_no_torch_computation():
    # See tests.conftest.torch_computation, and the colour-hints row of scripts/benchmark.py.
    fast = load_translator(ROOT / "weights" / "edges2shoes", device="cpu", runtime="onnx")
    drawing = Image.open(EXAMPLES / "edges2shoes" / "drawing_sneaker.png")  # 512 px, as are its hints
    hints = Image.open(sorted((EXAMPLES / "edges2shoes" / "hints").glob("*.png"))[0])
    small_drawing, small_hints = drawing.resize((256, 256)), hints.resize((256, 256), Image.NEAREST)  # the app's size

    def translations():
        fast(drawing, hints=hints)
        fast(small_drawing, hints=small_hints)
        fast(drawing)

    assert torch_computation(translations) == set()


def test_the_graph_folds_phases_and_columns_and_gives_eager_outputs_for_a_batch(tmp_path):
    import collections

    import onnx

    torch.manual_seed(0)
    generator = UNetGenerator(GeneratorConfig(image_size=64, ngf=8, norm="instance")).eval()
    path = onnx_runtime.export_onnx(generator, tmp_path / "g.onnx")
    ops = collections.Counter(node.op_type for node in onnx.load(str(path)).graph.node)
    assert ops["Col2Im"] == 4  # phases on 16 and 32 px (MIN_PHASE_INPUT), columns on 2 and 4 (MAX_COLUMN_INPUT)
    assert ops["ConvTranspose"] == 2  # 1 px (centre taps) and 8 px: kept
    x = torch.rand(3, 3, 64, 64) * 2 - 1  # the batch axis stays free through the fold's reshapes
    fast = Translator(generator, device="cpu", runtime="onnx")
    eager = Translator(generator, device="cpu", runtime="torch")
    assert (fast.translate_tensor(x) - eager.translate_tensor(x)).abs().max() <= 1e-5
