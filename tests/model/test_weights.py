"""Weights folders are untrusted input: config.json is checked before anything is built."""

import json
import resource

import pytest
import torch

from model import GeneratorConfig, UNetGenerator, WeightsError, load_generator, save_generator
from model.files import remove_stale_temporaries


@pytest.fixture
def folder(tmp_path):
    torch.manual_seed(0)
    return save_generator(tmp_path / "m", UNetGenerator(GeneratorConfig(32, ngf=8)), {"direction": "AtoB"})


def with_config(folder, **changes):
    config = json.loads((folder / "config.json").read_text())
    for key, value in changes.items():
        if key.startswith("generator."):
            config["generator"][key.split(".", 1)[1]] = value
        else:
            config[key] = value
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.parametrize("field, value, says", [
    ("generator.ngf", 1024, "ngf must be a whole number from 1 to 256"),
    ("generator.in_channels", 1e7, "in_channels must be a whole number"),
    ("generator.image_size", 300, "image_size"),
    ("generator.ngf", "32", "ngf must be a whole number"),
    ("generator.hint_adapter", 100000, "hint_adapter"),
    ("generator.norm", "layer", "norm must be one of"),
    ("generator.hints", 1, "hints must be true or false"),
    ("generator", [1, 2], "expected an object"),
    ("generator.ngf", 200, "M-parameter generator"),  # in range, but 500M parameters: counted, not built
    ("app", {"title": "x" * 500}, "title of at most 80"),
    ("app", {"kind": "labels", "palette": {"road": [1, 2, 300]}}, "palette"),
    ("app", {"examples": "../../etc"}, "must be a folder inside"),
    ("app", {"examples": "/usr/share"}, "must be a folder inside"),
    ("app", {"kind": "<script>"}, "kind"),
])  # fmt: skip
def test_a_hostile_config_is_refused_before_anything_is_built(folder, field, value, says):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(WeightsError, match=says):
        load_generator(with_config(folder, **{field: value}))
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 200_000  # kB: nothing big was allocated


def test_deeply_nested_or_huge_json_is_refused(folder):
    (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(WeightsError, match="not valid JSON|over"):
        load_generator(folder)
    (folder / "config.json").write_text(json.dumps({"generator": {}, "pad": "x" * 2_000_000}))
    with pytest.raises(WeightsError, match="over 1000 kB"):
        load_generator(folder)


def test_a_good_config_still_loads(folder):
    generator, config = load_generator(with_config(folder, app={"kind": "edges", "title": "edges → shoe", "examples": "examples/x"}))
    assert config["app"]["title"] == "edges → shoe" and generator.config.ngf == 8


def test_stale_temporaries_of_atomic_writes_are_removed(folder):
    (folder / ".model.safetensors.abc.tmp").write_bytes(b"half")
    assert [p.name for p in remove_stale_temporaries(folder)] == [".model.safetensors.abc.tmp"]
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
