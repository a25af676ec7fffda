"""Conversions between PIL images and the networks' [-1, 1] arrays."""

import numpy as np
from PIL import Image

from model.images import array_to_pil, to_array


def test_an_image_survives_the_round_trip_exactly():
    rng = np.random.default_rng(0)
    for mode, shape in (("RGB", (17, 9, 3)), ("L", (17, 9))):
        image = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode)
        back = array_to_pil(to_array(image))
        assert back.mode == mode and np.array_equal(np.asarray(back), np.asarray(image))


def test_values_are_clipped_rounded_and_kept_in_their_channels():
    a = np.zeros((3, 1, 5), np.float32)
    a[0] = [-1.5, -1, 0, 1, 2]  # red: clipped at both ends; 0 is 127.5, which rounds to even
    a[1] = 1  # green full, blue zero-level
    a[2] = -1
    pixels = np.asarray(array_to_pil(a))
    assert pixels[0, :, 0].tolist() == [0, 0, 128, 255, 255]
    assert (pixels[0, :, 1] == 255).all() and (pixels[0, :, 2] == 0).all()
    assert np.asarray(array_to_pil(a.astype(np.float64))).tolist() == pixels.tolist()  # any float input
