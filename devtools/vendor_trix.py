"""Copy Trix (the rich-text editor of the article admin) from its npm package into static/vendor/.

Usage, from the project root (npm only fetches the package's tarball; nothing is built)::

    npm pack trix@2.1.19 --pack-destination /tmp
    .venv/bin/python -m devtools.vendor_trix /tmp/trix-2.1.19.tgz

Trix is served by collectstatic/whitenoise and the web server like every other
static file (no CDN). Two changes make it fit the site's Content-Security-Policy
(``img-src 'self'``, no ``data:``) and the manifest storage:

- the toolbar icons, which trix.css holds as ``data:image/svg+xml`` URLs, are
  written out as SVG files beside it and the CSS points at them;
- the ``sourceMappingURL`` comments are removed (the maps are not shipped, and
  the manifest storage refuses a reference to a missing file).

The one ``<style>`` element Trix adds at run time carries the nonce from
``<meta name="trix-csp-nonce">`` (templates/admin/content/article/change_form.html).
"""

from __future__ import annotations

import io
import re
import sys
import tarfile
from pathlib import Path
from urllib.parse import unquote

TARGET = Path(__file__).resolve().parents[1] / "static" / "vendor" / "trix"
DATA_URL = re.compile(r'url\("data:image/svg\+xml,([^"]+)"\)')
SOURCE_MAP = re.compile(r"\n?/[/*]# sourceMappingURL=\S+(?: \*/)?\s*$")
RULE_NAME = re.compile(r"\.trix-button--(?:icon-)?([a-z0-9-]+)::before\s*\{[^{}]*$")


def vendor(tarball: Path, target: Path = TARGET) -> list[Path]:
    """Write Trix's script, its stylesheet with icons as files, its licence and version."""
    with tarfile.open(tarball) as archive:

        def read(name: str) -> str:
            member = archive.extractfile(f"package/{name}")
            assert member is not None, name
            return io.TextIOWrapper(member, encoding="utf-8").read()

        version = re.search(r'"version":\s*"([^"]+)"', read("package.json"))
        script = SOURCE_MAP.sub("\n", read("dist/trix.umd.min.js"))
        css = SOURCE_MAP.sub("\n", read("dist/trix.css"))
        licence = read("LICENSE")
    target.mkdir(parents=True, exist_ok=True)
    (target / "icons").mkdir(exist_ok=True)
    written: list[Path] = []

    def icon(match: re.Match[str]) -> str:
        rule = RULE_NAME.search(css[: match.start()])
        name = rule.group(1) if rule else f"icon-{len(written)}"
        path = target / "icons" / f"{name}.svg"
        path.write_text(unquote(match.group(1)), encoding="utf-8")
        written.append(path)
        return f'url("icons/{name}.svg")'

    css = DATA_URL.sub(icon, css)
    if "data:" in css:
        raise SystemExit("trix.css still holds a data: URL the site's CSP would refuse")
    for name, text in (
        ("trix.js", script),
        ("trix.css", css),
        ("LICENSE", licence),
        ("VERSION", f"{version.group(1) if version else 'unknown'} (npm package trix)\n"),
    ):
        (target / name).write_text(text, encoding="utf-8")
        written.append(target / name)
    return written


if __name__ == "__main__":
    for path in vendor(Path(sys.argv[1])):
        print(path.relative_to(TARGET.parents[2]))
