"""URL converters for the public site's addresses."""

from __future__ import annotations


class UnicodeSlugConverter:
    """A slug of letters and digits in any script, as taggit makes them ("été", "日本").

    Django's ``<slug:>`` takes ASCII only, so a tag named in Japanese would
    have no page. Tag slugs stay taggit's own (``slugify(allow_unicode=True)``,
    checked by ``validate_unicode_slug``): readable addresses in every
    language, and nothing to rewrite for tags made before. Browsers send them
    percent-encoded; Django decodes the path before matching.
    """

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
