"""The Content-Security-Policy and Permissions-Policy every response carries.

Values only: django-csp (``csp.middleware.CSPMiddleware``) and
django-permissions-policy (``PermissionsPolicyMiddleware``) send them, so no
header is written by hand. settings/base.py calls ``content_security_policy``
once with MEDIA_URL.

The policy is the strict one the MDN HTTP Observatory scores best
(``default-src 'none'``, nothing inline, nothing from another origin), and it
covers the admin as well. What the pages need was measured in headless
Chromium (tests/browser/test_content_security_policy.py fails on any
violation the console reports): Django 5.2's admin uses no inline script or
style, loads no font or manifest, and fetches only its own autocomplete
(connect-src 'self'), so there is no per-path exception to keep.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF

# Browser features the site never uses: off for this origin and every frame.
# (Django's admin and the public pages use none of them.)
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "sync-xhr",
        "usb",
        "xr-spatial-tracking",
    )
}


def media_origin(media_url: str) -> str | None:
    """The origin of an absolute MEDIA_URL (an object store, a CDN of our own), else None.

    A relative MEDIA_URL ("media/") is this site: 'self' already covers it.
    Only the scheme and host go into the policy, so a bucket path does not
    have to be kept in step with it.
    """
    parts = urlsplit(media_url)
    if not parts.netloc:
        return None
    # A scheme-relative "//host/" is fetched over HTTPS on an HTTPS site.
    return f"{parts.scheme or 'https'}://{parts.netloc}"


def content_security_policy(*, media_url: str) -> dict[str, dict[str, list[str]]]:
    """django-csp 4's CONTENT_SECURITY_POLICY: everything from this origin, nothing inline.

    img-src adds MEDIA_URL's origin when MEDIA_URL is absolute (uploads kept
    elsewhere); frame-ancestors 'none' replaces X-Frame-Options for browsers
    that know CSP, and base-uri/form-action stop an injected <base> or <form>
    from sending a page's links or passwords elsewhere.
    """
    images = [SELF]
    if origin := media_origin(media_url):
        images.append(origin)
    return {
        "DIRECTIVES": {
            "default-src": [NONE],
            "script-src": [SELF],
            # NONCE only where a page reads request.csp_nonce (django-csp adds it
            # lazily): the article form, for the one <style> element the editor
            # (Trix) adds as it loads. Every other page's style-src is 'self' alone.
            "style-src": [SELF, NONCE],
            "img-src": images,
            # The admin's autocomplete (the article's author) fetches /admin/autocomplete/.
            "connect-src": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
            "base-uri": [NONE],
        }
    }
