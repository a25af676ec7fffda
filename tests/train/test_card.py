"""python -m train.card: a shipped model's card, assembled from its config.json and its notes."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from train.card import assemble_card, main

ROOT = Path(__file__).resolve().parents[2]
CARDS = sorted(p.stem for p in (ROOT / "docs" / "cards").glob("*.md"))


def test_the_cli_writes_the_notes_after_the_figures_the_config_records(tmp_path):
    folder = tmp_path / "facades"
    folder.mkdir()
    shutil.copyfile(ROOT / "weights" / "facades" / "config.json", folder / "config.json")
    (tmp_path / "notes.md").write_text("## Recipe\n\nA note only the notes hold.\n")
    out = subprocess.run([sys.executable, "-m", "train.card", str(folder), "--notes", str(tmp_path / "notes.md")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    card = (folder / "README.md").read_text()
    metrics = json.loads((folder / "config.json").read_text())["val_metrics"]
    assert card.index("## Validation at 256x256") < card.index("A note only the notes hold.") < card.index("## Credits")
    assert f"| **this model** | **{metrics['l1']:.4f}** | **{metrics['psnr']:.2f}** | **{metrics['ssim']:.4f}** |" in card
    assert f"value: {metrics['psnr']:.4f}" in card  # the Hub's model-index


def test_the_cli_refuses_a_folder_without_a_config(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path)])
    assert "config.json" in capsys.readouterr().err


@pytest.mark.parametrize("name", CARDS)
def test_each_shipped_card_is_what_its_recorded_command_assembles(tmp_path, name):
    """weights/NAME/README.md == python -m train.card weights/NAME --notes docs/cards/NAME.md: no card is edited by hand."""
    shipped = ROOT / "weights" / name
    folder = tmp_path / name
    folder.mkdir()
    shutil.copyfile(shipped / "config.json", folder / "config.json")
    for image in shipped.glob("*.png"):  # the card links the images it finds
        (folder / image.name).touch()
    notes = (ROOT / "docs" / "cards" / f"{name}.md").read_text()
    assert f"python -m train.card weights/{name} --notes docs/cards/{name}.md" in notes
    assemble_card(folder, notes)
    assert (folder / "README.md").read_text() == (shipped / "README.md").read_text()
