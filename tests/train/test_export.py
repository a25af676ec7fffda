import json

from huggingface_hub import ModelCard
from safetensors.torch import load_file

from model import load_translator
from tests.conftest import write_ab_folder
from tests.train.tiny import tiny_config
from train.export import main
from train.train import train


def test_export_ships_fp16_weights_with_measured_metrics_and_a_card(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "d" / "train", 8)
    val = write_ab_folder(tmp_path / "d" / "val", 4, size=48, start=100)
    train(tiny_config(tmp_path / "d", tmp_path / "run", epochs=1, epochs_decay=0))
    out = tmp_path / "shipped"
    code = main(["--run", str(tmp_path / "run"), "--out", str(out), "--data", str(val), "--train-data", str(data),
                 "--command", "python -m train --data d", "--cpu-hours", "0.01"])  # fmt: skip
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["count"] == 4 and set(result["baselines"]) == {"all white", "mean training image"}
    assert all(str(v.dtype) == "torch.float16" for v in load_file(out / "model.safetensors").values() if v.is_floating_point())
    config = json.loads((out / "config.json").read_text())
    assert config["val_metrics"]["l1"] == result["l1"] and config["cpu_hours"] == 0.01
    assert config["train_config"]["out"] == "run" and config["train_config"]["data"] == "d"  # no machine paths
    card = ModelCard.load(out / "README.md")
    assert {r.metric_type for r in card.data.eval_results} == {"l1", "psnr", "ssim"}
    assert "python -m train --data d" in card.text and "mean training image" in card.text
    assert (out / "samples.png").is_file() and (out / "loss_curve.png").is_file()
    assert load_translator(out).meta["direction"] == "AtoB"


def test_export_can_show_other_inputs_than_the_val_images(tmp_path, capsys):
    """For data whose terms forbid redistribution, the card's grid shows other inputs."""
    from PIL import Image

    from train.export import export

    data = write_ab_folder(tmp_path / "d" / "train", 8)
    train(tiny_config(tmp_path / "d", tmp_path / "run", epochs=1, epochs_decay=0))
    inputs = tmp_path / "own"
    inputs.mkdir()
    for i in range(3):
        Image.new("RGB", (100, 100), (40 * i, 80, 120)).save(inputs / f"{i}.png")
    export(tmp_path / "run", tmp_path / "out", data, None, sample_inputs=inputs)
    grid = Image.open(tmp_path / "out" / "samples.png")
    assert grid.size == (2 * 256 + 3 * 2, 3 * 256 + 4 * 2)  # input | output, one row per input


def test_a_presentation_is_checked_and_merged_into_the_config(tmp_path):
    import json

    from model import GeneratorConfig, UNetGenerator, save_generator
    from train.describe import main as describe_main

    save_generator(tmp_path / "w", UNetGenerator(GeneratorConfig(image_size=32, ngf=8)), {"direction": "BtoA"})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "labels", "title": "no palette"}))
    assert describe_main([str(tmp_path / "w"), str(bad)]) == 2
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"kind": "edges", "title": "edges → things"}))
    assert describe_main([str(tmp_path / "w"), str(good)]) == 0
    config = json.loads((tmp_path / "w" / "config.json").read_text())
    assert config["app"]["title"] == "edges → things" and config["direction"] == "BtoA"


def test_a_hint_model_is_exported_with_its_figures_given_hint_dots(tmp_path, capsys):
    write_ab_folder(tmp_path / "d" / "train", 8)
    val = write_ab_folder(tmp_path / "d" / "val", 3, size=48, start=100)
    train(tiny_config(tmp_path / "d", tmp_path / "run", norm="instance", hints=True, max_steps=2))
    assert main(["--run", str(tmp_path / "run"), "--out", str(tmp_path / "out"), "--data", str(val)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["with_10_hint_dots"]["count"] == 3
    assert load_translator(tmp_path / "out").takes_hints
    card = (tmp_path / "out" / "README.md").read_text()
    assert "10 colour-hint dots" in card and "hints=rgba_image" in card
