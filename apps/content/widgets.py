"""The article body's rich-text editor in the admin: Trix, self-hosted, under the site's CSP.

Trix (37signals' editor, the one behind Rails' Action Text) is vendored from its
npm package into static/vendor/trix by devtools/vendor_trix.py and served like
every static file; static/content/editor.js fits it to the sanitiser's
allow-list (paragraphs, h2/h3, lists, quotes, code, links) and adds the media
library's chooser. The editor keeps a hidden input up to date, which the form
posts; the services sanitise what arrives (apps/content/sanitize.py), so the
editor is a convenience, never the safety.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse


class RichTextEditor(forms.Textarea):
    """A Trix editor posting its HTML under the field's name.

    ``chooser_url_name`` is reversed as the page renders, so the address the
    script fetches carries the site's sub-path (``/filamenta/admin/…``) and is
    never written into the script.
    """

    template_name = "content/widgets/rich_text_editor.html"

    def __init__(self, *, chooser_url_name: str = "admin_media_chooser", **kwargs: Any) -> None:
        self.chooser_url_name = chooser_url_name
        super().__init__(**kwargs)

    class Media:
        css = {"all": ("vendor/trix/trix.css", "content/editor.css")}
        js = ("vendor/trix/trix.js", "content/editor.js")

    def format_value(self, value: Any) -> str | None:
        # Trix loads the images it shows: at the storage's URL of today, not the
        # one stored (another storage's before a move, or a signature since expired).
        from apps.media.body_urls import media_urls_current

        formatted = super().format_value(value)
        return media_urls_current(formatted) if formatted else formatted

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["chooser_url"] = reverse(self.chooser_url_name)
        return context
