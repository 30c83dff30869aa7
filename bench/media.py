"""Media figures: an upload with its renditions, and what a page with a picture weighs.

``python -m bench.media --uploads N --slug SLUG`` runs inside Django (the bench
settings, the runner's database and MEDIA_ROOT) and prints JSON for the runner:

- ``upload_ms``: each ``media_upload`` of a 4000 x 3000 JPEG, checks and
  renditions included (the median goes in the report); each upload is deleted
  again through ``media_delete``;
- ``page_weight``: the HTML of the article ``SLUG`` (one with a featured
  image) plus the one image a 1280 px wide window at density 1 would load, chosen
  from the ``<picture>``'s WebP srcset and sizes the way browsers do
  (:func:`srcset_choice`): the smallest candidate at least as wide as the slot.

The choice is computed rather than measured in Chromium so the figure needs
no browser; ``sizes`` here is only ever ``(max-width: …) …, …`` with px, rem,
vw and ``calc(100vw - …)`` lengths, which :func:`slot_width` evaluates.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import statistics
import sys
import time
from typing import Any

ROOT_FONT_PX = 16
VIEWPORT_PX = 1280
UPLOAD_SIZE = (4000, 3000)
LENGTH = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)(px|rem|em|vw)|calc\(100vw - (\d+(?:\.\d+)?)rem\))\s*$")
CONDITION = re.compile(r"^\(max-width:\s*(\d+(?:\.\d+)?)(px|rem|em)\)\s+(.+)$")


def _px(number: str, unit: str, viewport: int) -> float:
    value = float(number)
    return {"px": value, "rem": value * ROOT_FONT_PX, "em": value * ROOT_FONT_PX}.get(
        unit, value * viewport / 100
    )


def length_px(text: str, viewport: int) -> float:
    found = LENGTH.match(text)
    if not found:
        raise ValueError(f"not a length this benchmark reads: {text!r}")
    if found[3]:
        return viewport - float(found[3]) * ROOT_FONT_PX
    return _px(found[1], found[2], viewport)


def slot_width(sizes: str, viewport: int) -> float:
    """The width ``sizes`` gives the image in a window ``viewport`` px wide."""
    for part in (p.strip() for p in sizes.split(",")):
        condition = CONDITION.match(part)
        if condition is None:
            return length_px(part, viewport)
        if viewport <= _px(condition[1], condition[2], viewport):
            return length_px(condition[3], viewport)
    return viewport


def srcset_choice(srcset: str, sizes: str, viewport: int, density: float = 1.0) -> tuple[str, int]:
    """(url, width) of the candidate a browser loads: the narrowest covering the slot."""
    candidates = sorted(
        (int(width.rstrip("w")), url)
        for url, width in (c.strip().rsplit(" ", 1) for c in srcset.split(","))
    )
    needed = slot_width(sizes, viewport) * density
    width, url = next(((w, u) for w, u in candidates if w >= needed), candidates[-1])
    return url, width


def photo_bytes() -> bytes:
    """A 4000 x 3000 JPEG with detail in it (noise over a gradient), as a camera would give."""
    from PIL import Image

    gradient = Image.linear_gradient("L").resize(UPLOAD_SIZE)
    noise = Image.effect_noise(UPLOAD_SIZE, 40)
    image = Image.merge("RGB", (gradient, noise, Image.blend(gradient, noise, 0.5)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def upload_times(count: int) -> list[float]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.media.services import media_delete, media_upload

    data = photo_bytes()
    times = []
    for n in range(count):
        started = time.perf_counter()
        item = media_upload(
            file=SimpleUploadedFile(f"bench-{n}.jpg", data),
            title=f"Benchmark photo {n}",
            alt_text="A benchmark photo",
            by=None,
        )
        times.append((time.perf_counter() - started) * 1000)
        media_delete(item=item, by=None)
    return times


def page_weight(slug: str) -> dict[str, Any]:
    from django.test import Client

    from apps.content.models import Article

    article = Article.objects.select_related("featured_image").get(slug=slug)
    html = Client().get(article.get_absolute_url(), HTTP_HOST="127.0.0.1").content
    picture = re.search(rb'<figure class="featured">.*?</figure>', html, re.S)
    if picture is None:
        raise RuntimeError(f"{slug} shows no featured image")
    source = re.search(rb'<source type="image/webp" srcset="([^"]+)" sizes="([^"]+)"', picture[0])
    if source is None:
        raise RuntimeError(f"{slug}'s picture has no WebP source")
    url, width = srcset_choice(source[1].decode(), source[2].decode(), VIEWPORT_PX)
    loaded = next(
        r
        for r in article.featured_image.renditions.all()
        if r.file.url == url.replace("&amp;", "&")
    )
    return {
        "slug": slug,
        "viewport_px": VIEWPORT_PX,
        "html_bytes": len(html),
        "image": {"width": width, "format": loaded.format, "bytes": loaded.size},
        "original_bytes": article.featured_image.size,
        "total_bytes": len(html) + loaded.size,
    }


def main(argv: list[str]) -> None:
    import django

    from filamenta.environment import configure

    parser = argparse.ArgumentParser(prog="python -m bench.media")
    parser.add_argument("--uploads", type=int, default=5)
    parser.add_argument("--slug", required=True)
    args = parser.parse_args(argv)
    configure()
    django.setup()
    times = upload_times(args.uploads)
    print(
        json.dumps(
            {
                "upload": {
                    "size": list(UPLOAD_SIZE),
                    "upload_ms": [round(t, 1) for t in times],
                    "median_ms": round(statistics.median(times), 1),
                },
                "page_weight": page_weight(args.slug),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
