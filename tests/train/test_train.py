import csv
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from tests.conftest import write_ab_folder
from tests.train.tiny import tiny_config
from train.train import main, train

ROOT = Path(__file__).resolve().parents[2]


def l1_column(run: Path) -> list[float]:
    with open(run / "losses.csv", newline="") as f:
        return [float(r["loss_G_l1"]) for r in csv.DictReader(f)]


def test_overfits_four_pairs(tmp_path):
    data = write_ab_folder(tmp_path / "four", 4)
    cfg = tiny_config(data, tmp_path / "run", batch_size=4, ngf=16, epochs=60, epochs_decay=20,
                      lr=1e-3, checkpoint_every=1000, sample_every=1000)  # fmt: skip
    torch.manual_seed(0)
    train(cfg)
    l1 = l1_column(tmp_path / "run")
    start, end = sum(l1[:3]) / 3, sum(l1[-5:]) / 5
    print(f"overfit L1: start {start:.3f} -> end {end:.3f}")
    assert end < 0.3 * start


def test_run_writes_its_artefacts(tmp_path):
    data = write_ab_folder(tmp_path / "d" / "train", 8)
    write_ab_folder(tmp_path / "d" / "val", 4, start=100)
    result = train(tiny_config(tmp_path / "d", tmp_path / "run"))
    run = tmp_path / "run"
    for name in ("checkpoint.safetensors", "losses.csv", "loss_curve.png", "metrics.jsonl", "train_config.json",
                 "samples/latest.png", "generator/model.safetensors", "generator/config.json",
                 "generator/README.md", "generator/samples.png", "generator/loss_curve.png"):  # fmt: skip
        assert (run / name).is_file(), name
    assert Image.open(run / "loss_curve.png").size[0] > 500
    assert result["step"] == 16 and result["count"] == 4
    epochs = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in epochs] == [0, 1, 2, 3] and all("ssim" in e for e in epochs)
    assert data.is_dir()


def test_learning_rate_is_constant_then_decays_linearly_to_zero(tmp_path):
    data = write_ab_folder(tmp_path / "d", 8)
    train(tiny_config(data, tmp_path / "run"))
    with open(tmp_path / "run" / "losses.csv", newline="") as f:
        lrs = [float(r["lr"]) for r in csv.DictReader(f)]
    assert lrs[:8] == [2e-4] * 8  # 2 epochs of 4 steps
    assert lrs[8:] == pytest.approx([2e-4 * (1 - k / 8) for k in range(8)], rel=1e-2)


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path):
    data = write_ab_folder(tmp_path / "d", 8)
    train(tiny_config(data, tmp_path / "straight", augment="drawing", ema=0.9))
    # Stop mid-epoch (step 6 of 16: epoch 1, batch 2), then resume from the checkpoint.
    train(tiny_config(data, tmp_path / "resumed", augment="drawing", ema=0.9, max_steps=6))
    assert main(["--resume", "--out", str(tmp_path / "resumed")]) == 0  # --max-steps was a pause: on to the end
    a = load_file(tmp_path / "straight" / "checkpoint.safetensors")
    b = load_file(tmp_path / "resumed" / "checkpoint.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert l1_column(tmp_path / "straight") == l1_column(tmp_path / "resumed")


def test_a_pause_exports_its_own_step_with_samples_and_resume_goes_on_to_the_end(tmp_path, capsys):
    from train.checkpoint import read_checkpoint

    write_ab_folder(tmp_path / "d" / "train", 8)
    write_ab_folder(tmp_path / "d" / "val", 4, start=100)
    run = tmp_path / "run"
    result = train(tiny_config(tmp_path / "d", run, max_steps=5, sample_every=500))
    err = capsys.readouterr().err
    assert " 5/5 " in err and "/16 " not in err  # the progress bar counts to the pause, not the schedule
    exported = json.loads((run / "generator" / "config.json").read_text())
    assert result["step"] == exported["step"] == int(read_checkpoint(run / "checkpoint.safetensors")[1]["step"]) == 5
    assert result["l1"] == exported["val_metrics"]["l1"]
    assert (run / "samples" / "step_0000005.png").is_file()
    assert (run / "generator" / "samples.png").is_file() and (run / "generator" / "loss_curve.png").is_file()
    assert main(["--resume", "--out", str(run)]) == 0
    assert int(read_checkpoint(run / "checkpoint.safetensors")[1]["step"]) == 16
    assert json.loads((run / "generator" / "config.json").read_text())["step"] == 16


def test_moving_average_is_what_gets_exported(tmp_path):
    data = write_ab_folder(tmp_path / "d", 8)
    decay = 0.5
    weights = []  # G's weights after every step
    cfg = tiny_config(data, tmp_path / "run", ema=decay, epochs=1, epochs_decay=1)
    train(cfg, on_step=lambda step, G, D: weights.append({k: v.clone() for k, v in G.state_dict().items()}))
    ckpt = load_file(tmp_path / "run" / "checkpoint.safetensors")
    exported = load_file(tmp_path / "run" / "generator" / "model.safetensors")
    name = next(k for k in exported if k.endswith(".weight"))
    average = weights[0][name]
    for n, w in enumerate(weights[1:], start=1):
        d = min(decay, (1 + n) / (10 + n))  # warm-up: early weights fade fast
        average = d * average + (1 - d) * w[name]
    assert torch.allclose(ckpt["G_ema.module." + name], average, atol=1e-6)
    assert torch.allclose(exported[name].float(), average, atol=1e-6)
    assert (ckpt["G." + name] - average).abs().max() > 1e-5  # training carries on with the raw weights


def test_a_run_without_a_moving_average_can_resume_with_one(tmp_path):
    data = write_ab_folder(tmp_path / "d", 8)
    train(tiny_config(data, tmp_path / "run", max_steps=3))
    assert not any(k.startswith("G_ema.") for k in load_file(tmp_path / "run" / "checkpoint.safetensors"))
    assert main(["--resume", "--out", str(tmp_path / "run"), "--ema", "0.9", "--max-steps", "4"]) == 0
    assert any(k.startswith("G_ema.") for k in load_file(tmp_path / "run" / "checkpoint.safetensors"))


def test_resume_refuses_a_half_written_checkpoint(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "d", 8)
    train(tiny_config(data, tmp_path / "run", max_steps=3))
    ckpt = tmp_path / "run" / "checkpoint.safetensors"
    ckpt.write_bytes(ckpt.read_bytes()[:1000])
    with pytest.raises(SystemExit):
        main(["--resume", "--out", str(tmp_path / "run")])
    assert "not a complete safetensors file" in capsys.readouterr().err


def test_checkpoints_are_written_atomically(tmp_path, monkeypatch):
    """A crash while writing leaves the previous checkpoint whole and no stray file."""
    import train.checkpoint as checkpoint

    data = write_ab_folder(tmp_path / "d", 8)
    train(tiny_config(data, tmp_path / "run", max_steps=3))
    ckpt = tmp_path / "run" / "checkpoint.safetensors"
    before = ckpt.read_bytes()

    def crash(tensors, path, metadata=None):
        Path(path).write_bytes(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save_file", crash)
    with pytest.raises(KeyboardInterrupt):
        main(["--resume", "--out", str(tmp_path / "run"), "--max-steps", "6"])
    assert ckpt.read_bytes() == before
    assert [p.name for p in ckpt.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_bad_data_gives_a_clear_error_not_a_traceback(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "d", 4)
    (data / "5.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    assert main(["--data", str(data), "--out", str(tmp_path / "run"), "--size", "32"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "5.png" in err and "--skip-bad-files" in err


def test_truncated_file_gives_a_clear_error_while_loading(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "d", 4, suffix=".jpg")
    path = data / "2.jpg"
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * 0.7)])
    code = main(["--data", str(data), "--out", str(tmp_path / "run"), "--size", "32", "--ngf", "8", "--ndf", "8",
                 "--batch-size", "4", "--epochs", "1", "--epochs-decay", "0"])  # fmt: skip
    assert code == 2
    assert "2.jpg" in capsys.readouterr().err


def test_distributed_ranks_hold_identical_weights_after_every_step(tmp_path):
    data = write_ab_folder(tmp_path / "d", 8)
    report = tmp_path / "ranks"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(ROOT / "tests" / "train" / "ddp_worker.py"), str(data), str(tmp_path / "run"), str(report)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2, 3, 4]
    assert all(r["identical"] and r["world"] == 2 for r in lines)
    assert all(r["changed"] for r in lines)  # the weights did move


def test_too_small_an_image_for_the_patchgan_is_explained(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "d", 4)
    assert main(["--data", str(data), "--out", str(tmp_path / "run"), "--size", "64", "--receptive-field", "286"]) == 2
    assert "too small for a 286x286 PatchGAN" in capsys.readouterr().err


@pytest.mark.parametrize("options", [dict(bf16=True), dict(norm="batch", receptive_field=16), dict(receptive_field=1)])
def test_other_settings_train(tmp_path, options):
    data = write_ab_folder(tmp_path / "d", 8)
    result = train(tiny_config(data, tmp_path / "run", epochs=1, epochs_decay=0, **options))
    assert result["step"] == 4


def test_l1_alone_leaves_the_discriminator_untouched(tmp_path):
    data = write_ab_folder(tmp_path / "d", 8)
    seen = []
    train(tiny_config(data, tmp_path / "run", epochs=1, epochs_decay=0, gan_weight=0.0),
          on_step=lambda step, G, D: seen.append([p.detach().clone() for p in D.parameters()]))  # fmt: skip
    assert len(seen) == 4
    assert all(torch.equal(a, b) for later in seen[1:] for a, b in zip(seen[0], later))
    with open(tmp_path / "run" / "losses.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert all(float(r["loss_D"]) == 0 and float(r["loss_G_gan"]) == 0 for r in rows)
    assert all(float(r["loss_G_l1"]) > 0 for r in rows)


def test_a_budget_fits_the_schedule_and_the_run_ends_where_it_says(tmp_path):
    from train.checkpoint import read_checkpoint

    data = write_ab_folder(tmp_path / "d", 8)
    result = train(tiny_config(data, tmp_path / "run", epochs=300, epochs_decay=100, budget_minutes=0.1,
                               checkpoint_every=10_000, sample_every=10_000))  # fmt: skip
    fitted = json.loads(read_checkpoint(tmp_path / "run" / "checkpoint.safetensors")[1]["train_config"])
    assert (fitted["epochs"], fitted["epochs_decay"]) != (300, 100)
    assert fitted["epochs"] == pytest.approx(3 * fitted["epochs_decay"], abs=1)  # the 3:1 ratio is kept
    assert result["step"] == (fitted["epochs"] + fitted["epochs_decay"]) * 4  # 4 steps per epoch


def test_an_interrupt_stops_after_the_step_with_a_checkpoint_and_an_export(tmp_path):
    import signal

    from train.checkpoint import read_checkpoint

    data = write_ab_folder(tmp_path / "d", 8)
    handler = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN in a background job

    def interrupt(step, G, D):
        if step == 3:
            signal.raise_signal(signal.SIGINT)

    result = train(tiny_config(data, tmp_path / "run"), on_step=interrupt)
    assert result["step"] == 3
    assert int(read_checkpoint(tmp_path / "run" / "checkpoint.safetensors")[1]["step"]) == 3
    assert json.loads((tmp_path / "run" / "generator" / "config.json").read_text())["step"] == 3
    assert signal.getsignal(signal.SIGINT) is handler  # the handler is put back


def test_training_can_start_from_exported_weights(tmp_path):
    data = write_ab_folder(tmp_path / "d", 8)
    train(tiny_config(data, tmp_path / "first", norm="instance", max_steps=2))
    seen = []
    train(tiny_config(data, tmp_path / "second", norm="instance", max_steps=1,
                      init_generator=str(tmp_path / "first" / "generator")),
          on_step=lambda step, G, D: seen.append({k: v.clone() for k, v in G.state_dict().items()}))  # fmt: skip
    start = load_file(tmp_path / "first" / "generator" / "model.safetensors")
    name = next(k for k in start if k.endswith(".weight"))
    # One Adam step of lr 2e-4 from the exported weights, not from a fresh initialisation.
    assert (seen[0][name] - start[name]).abs().max() < 1e-3


def test_a_presentation_given_to_training_reaches_the_exported_config(tmp_path):
    data = write_ab_folder(tmp_path / "d", 8)
    presentation = tmp_path / "labels.json"
    presentation.write_text(json.dumps({"kind": "labels", "title": "label map → blob", "palette": {"sky": [70, 130, 180]}}))
    train(tiny_config(data, tmp_path / "run", max_steps=2, presentation=str(presentation)))
    app = json.loads((tmp_path / "run" / "generator" / "config.json").read_text())["app"]
    assert app["kind"] == "labels" and app["palette"] == {"sky": [70, 130, 180]}


def test_a_new_run_refuses_a_folder_that_holds_one_unless_told(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "d", 8)
    run = tmp_path / "run"
    train(tiny_config(data, run, max_steps=3))
    before = {name: (run / name).read_bytes() for name in ("checkpoint.safetensors", "losses.csv")}
    with pytest.raises(SystemExit):
        main(["--data", str(data), "--out", str(run), "--size", "32", "--ngf", "8", "--ndf", "8"])
    assert "already holds a training run" in capsys.readouterr().err
    assert {name: (run / name).read_bytes() for name in before} == before
    args = ["--data", str(data), "--out", str(run), "--size", "32", "--ngf", "8", "--ndf", "8", "--max-steps", "1", "--overwrite"]
    assert main(args) == 0 and len(l1_column(run)) == 1


def test_resume_with_other_networks_says_what_to_do(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "d", 8)
    train(tiny_config(data, tmp_path / "run", max_steps=3))
    with pytest.raises(SystemExit):
        main(["--resume", "--out", str(tmp_path / "run"), "--ngf", "16"])
    err = capsys.readouterr().err
    assert "--ngf 16 (the run's: 8)" in err and "--init-generator" in err


def test_resume_refuses_a_checkpoint_with_damaged_tensors(tmp_path, capsys):
    data = write_ab_folder(tmp_path / "d", 8)
    train(tiny_config(data, tmp_path / "run", max_steps=3))
    ckpt = tmp_path / "run" / "checkpoint.safetensors"
    raw = bytearray(ckpt.read_bytes())
    raw[-3000] ^= 0x01  # one flipped bit in the tensor data: still a valid file, and finite
    ckpt.write_bytes(bytes(raw))
    with pytest.raises(SystemExit):
        main(["--resume", "--out", str(tmp_path / "run")])
    assert "do not match their checksum" in capsys.readouterr().err


def test_a_diverging_run_writes_nothing_over_its_checkpoint_or_export(tmp_path):
    data = write_ab_folder(tmp_path / "d", 8)
    run = tmp_path / "run"
    train(tiny_config(data, run, max_steps=3))
    kept = {name: (run / name).read_bytes() for name in ("checkpoint.safetensors", "generator/model.safetensors")}

    def poison(step, G, D):
        with torch.no_grad():
            next(G.parameters()).fill_(float("nan"))

    with pytest.raises(ValueError, match="training diverged at step 4"):
        train(replace(tiny_config(data, run), max_steps=8), resume=True, on_step=poison)
    assert {name: (run / name).read_bytes() for name in kept} == kept


def test_resume_removes_what_a_killed_write_left(tmp_path):
    data = write_ab_folder(tmp_path / "d", 8)
    run = tmp_path / "run"
    train(tiny_config(data, run, max_steps=3))
    stale = [run / ".checkpoint.safetensors.k1ll3d.tmp", run / "generator" / ".model.safetensors.x.tmp"]
    for p in stale:
        p.write_bytes(b"\0" * 1000)
    assert main(["--resume", "--out", str(run), "--max-steps", "4"]) == 0
    assert not any(p.exists() for p in stale)


def test_an_image_too_large_to_decode_gets_a_clear_error_or_is_skipped(tmp_path, capsys, monkeypatch):
    data = write_ab_folder(tmp_path / "d", 4, size=12)  # 24x12 pairs
    write_ab_folder(tmp_path / "big", 1, size=32)
    (tmp_path / "big" / "0.png").rename(data / "huge.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 400)  # so that a 64x32 pair plays a 20000x10000 one
    small = ["--size", "32", "--ngf", "8", "--ndf", "8", "--max-steps", "1"]
    assert main(["--data", str(data), "--out", str(tmp_path / "run"), *small]) == 2
    assert "too large to decode safely" in capsys.readouterr().err
    with pytest.warns(UserWarning, match="too large to decode safely"):
        assert main(["--data", str(data), "--out", str(tmp_path / "run2"), "--skip-bad-files", *small]) == 0
