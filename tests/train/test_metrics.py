import math

import pytest
import torch

from train.metrics import ImageMetrics


def test_identical_images_score_perfectly():
    m = ImageMetrics()
    x = torch.rand(2, 3, 32, 32)
    m.update(x, x)
    r = m.compute()
    assert r["l1"] == 0 and r["ssim"] == pytest.approx(1.0) and r["psnr"] >= 99 and r["count"] == 2


def test_known_values():
    m = ImageMetrics()
    m.update(torch.full((1, 3, 16, 16), 0.5), torch.zeros(1, 3, 16, 16))
    r = m.compute()
    assert r["l1"] == pytest.approx(0.5)
    assert r["psnr"] == pytest.approx(10 * math.log10(1 / 0.25))  # 6.02 dB
    assert r["ssim"] < 0.1
