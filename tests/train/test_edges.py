import numpy as np
import pytest
import torch

from train.edges import balanced_bce, f_score, match_scores


def line_map(row: int, size: int = 32) -> np.ndarray:
    lines = np.zeros((size, size), bool)
    lines[row, 4:28] = True
    return lines


@pytest.mark.parametrize("shift, expected", [(0, 1.0), (2, 1.0), (3, 0.0)])
def test_edges_match_within_the_tolerance_only(shift, expected):
    scores = f_score([match_scores(line_map(10 + shift), line_map(10), tolerance=2)])
    assert scores["precision"] == scores["recall"] == scores["f"] == pytest.approx(expected)


def test_missing_and_extra_edges_lower_recall_and_precision():
    truth = line_map(10) | line_map(20)
    half = f_score([match_scores(line_map(10), truth)])  # finds one of two lines
    assert half["precision"] == 1.0 and half["recall"] == pytest.approx(0.5) and half["f"] == pytest.approx(2 / 3)
    extra = f_score([match_scores(truth, line_map(10))])  # draws a line that is not there
    assert extra["precision"] == pytest.approx(0.5) and extra["recall"] == 1.0


def test_the_loss_weighs_the_rare_edge_pixels_up():
    lines = torch.zeros(1, 1, 8, 8, dtype=torch.uint8)
    lines[0, 0, 0, :2] = 1  # 2 of 64 pixels
    miss_edges = torch.ones(1, 1, 8, 8)  # all white: says "no edge" everywhere
    all_edges = -torch.ones(1, 1, 8, 8)  # all black: says "edge" everywhere
    # Balanced: missing the 2 edge pixels costs as much as wrongly marking the 62 others.
    assert balanced_bce(miss_edges, lines) == pytest.approx(balanced_bce(all_edges, lines).item(), rel=1e-3)
    perfect = torch.where(lines.bool(), -1.0, 1.0)
    assert balanced_bce(perfect, lines) < 1e-3
