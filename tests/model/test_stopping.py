"""model.stopping: another thread stops a translation whose answer is no longer wanted."""

import threading
import time

import pytest
import torch

from model import GeneratorConfig, Stop, Stopped, UNetGenerator
from model.translate import Translator


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PIX2PIX_CACHE", str(tmp_path / "cache"))


def generator():
    return UNetGenerator(GeneratorConfig(image_size=64, ngf=8, norm="instance"))


def test_a_stop_requested_during_an_onnx_runtime_run_ends_it_and_the_model_still_translates():
    pytest.importorskip("onnxruntime")
    fast = Translator(generator(), device="cpu", runtime="onnx")
    batch = torch.rand(256, 3, 64, 64) * 2 - 1  # a long run: the request comes while it is going on
    stop, outcome = Stop(), []

    def translate():
        try:
            outcome.append(fast.translate_tensor(batch, stop=stop))
        except Stopped:
            outcome.append("stopped")

    worker = threading.Thread(target=translate)
    worker.start()
    while not stop.runs and worker.is_alive():  # wait until the run has begun
        time.sleep(0.001)
    stop.request()
    worker.join()
    assert outcome == ["stopped"] and stop.runs == []
    x = batch[:1]
    assert fast.translate_tensor(x).equal(fast.translate_tensor(x, stop=Stop()))  # the session is unharmed


@pytest.mark.parametrize("runtime", ["onnx", "torch"])
@pytest.mark.parametrize("seed", [None, 3])
def test_a_stop_requested_before_the_translation_starts_means_no_translation(runtime, seed):
    if runtime == "onnx":
        pytest.importorskip("onnxruntime")
    translator = Translator(generator(), device="cpu", runtime=runtime)
    stop = Stop()
    stop.request()
    with pytest.raises(Stopped):
        translator.translate_tensor(torch.zeros(1, 3, 64, 64), seed=seed, stop=stop)


def test_a_stop_never_requested_changes_nothing():
    translator = Translator(generator(), device="cpu", runtime="torch")
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    assert translator.translate_tensor(x, stop=Stop()).equal(translator.translate_tensor(x))
