"""The media figure's srcset choice: the candidate a browser would load, computed."""

import pytest

from bench.media import slot_width, srcset_choice
from bench.report import media_section
from tests.bench.factories import results

SIZES = "(max-width: 46rem) calc(100vw - 2rem), 44rem"
SRCSET = "/a/240.webp 240w, /a/480.webp 480w, /a/960.webp 960w, /a/1600.webp 1600w"


@pytest.mark.parametrize(("viewport", "slot"), [(1280, 704), (736, 704), (400, 368), (320, 288)])
def test_the_slot_follows_the_sizes_conditions(viewport, slot):
    assert slot_width(SIZES, viewport) == slot


def test_a_1280_px_window_loads_the_960_px_rendition():
    assert srcset_choice(SRCSET, SIZES, 1280) == ("/a/960.webp", 960)


def test_a_dense_screen_takes_the_wider_one_and_the_widest_when_none_covers():
    assert srcset_choice(SRCSET, SIZES, 1280, density=2) == ("/a/1600.webp", 1600)
    assert srcset_choice(SRCSET, "3000px", 1280) == ("/a/1600.webp", 1600)


def test_the_report_states_the_media_figures():
    text = "\n".join(media_section(results()))

    assert "925 ms" in text
    assert "**46,000 bytes**" in text
    assert "960 w webp" in text
