"""Which pixels are the shoe: the silhouette in a photo, the region inside a drawn outline."""

import numpy as np
from PIL import Image, ImageDraw

from train.shoes import drawn_region, shoe_mask


def test_the_shoe_mask_is_the_non_white_silhouette_with_its_holes_filled():
    photo = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(photo).ellipse((8, 20, 56, 48), fill=(120, 60, 20))
    ImageDraw.Draw(photo).ellipse((28, 34, 36, 40), fill="white")  # a white buckle inside the shoe
    mask = shoe_mask(np.asarray(photo, np.float32) / 255)
    assert mask[37, 32] and not mask[2, 2]
    blank = shoe_mask(np.ones((64, 64, 3), np.float32))  # nothing drawn: the whole image
    assert blank.all()


def test_the_drawn_region_is_what_lies_between_the_outlines_lines():
    edges = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(edges).line([(10, 40), (10, 20), (50, 30), (50, 40)], fill="black")  # open at the bottom
    ImageDraw.Draw(edges).line([(10, 50), (50, 50)], fill="black")
    region = drawn_region(edges)
    assert region[45, 30] and region[25, 11] and not region[10, 30] and not region[45, 55] and not region[55, 30]
