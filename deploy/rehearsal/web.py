"""A small HTTP client for rehearsals: explicit Host, cookies kept, no redirects followed.

http.client rather than urllib: urllib follows proxy variables from the
environment, and a rehearsal must only ever talk to 127.0.0.1. Cookies are
kept by name and sent whatever their Secure flag, because the rehearsals
speak plain HTTP on loopback to servers configured for HTTPS.
"""

from __future__ import annotations

import http.client
import secrets
import ssl
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), "")

    def all_headers(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Browser:
    """One visitor: a cookie jar and a base URL such as ``http://127.0.0.1:8001/filamenta``."""

    base: str
    host: str = "localhost"
    tls: ssl.SSLContext | None = None
    # Sent with every request: e.g. X-Forwarded-Proto, as the load balancer would.
    always: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    set_cookie_lines: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base.rstrip("/") + path

    def page_url(self, path: str) -> str:
        """The address a browser at ``host`` shows: what it sends as Referer."""
        parts = urlsplit(self.base)
        scheme = self.always.get("X-Forwarded-Proto", parts.scheme)
        return f"{scheme}://{self.host}{parts.path.rstrip('/')}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Response:
        """``path`` is below the base (``/admin/``); a full URL is taken as it is."""
        url = path if "://" in path else self.url(path)
        parts = urlsplit(url)
        if parts.scheme == "https":
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=timeout, context=self.tls
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        sent = {"Host": self.host, "User-Agent": "filamenta-rehearsal", **self.always}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if files:
            body, sent["Content-Type"] = multipart(data or {}, files)
        elif data is not None:
            body = urlencode(data).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(method, target, body=body, headers=sent)
            raw = connection.getresponse()
            response = Response(raw.status, raw.getheaders(), raw.read())
        finally:
            connection.close()
        for line in response.all_headers("Set-Cookie"):
            self.set_cookie_lines.append(line)
            for name, morsel in SimpleCookie(line).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    def get(self, path: str, **kwargs: object) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs: object) -> Response:
        return self.request("POST", path, data=data, **kwargs)

    def upload(
        self, path: str, changes: dict[str, str], files: dict[str, tuple[str, bytes, str]]
    ) -> Response:
        """:meth:`submit` for a form with a file: GET it, fill it, POST it as multipart."""
        page = self.get(path)
        forms = [
            f
            for f in parse_forms(page.text)
            if "csrfmiddlewaretoken" in f.fields and "title" in f.fields
        ]
        if not forms:
            raise AssertionError(f"no upload form at {path} ({page.status})")
        action = urljoin(self.url(path), forms[0].action) if forms[0].action else self.url(path)
        return self.request(
            "POST",
            action,
            data={**forms[0].fields, **changes},
            files=files,
            headers={"Referer": self.page_url(path)},
        )

    def submit(
        self,
        path: str,
        changes: dict[str, str],
        *,
        referer: str | None = None,
        form_index: int = -1,
    ) -> Response:
        """GET a page, fill its form (CSRF token included) with ``changes``, POST it back.

        ``form_index`` -1 picks the first form with a CSRF token and every field of ``changes``.
        """
        page = self.get(path)
        forms = parse_forms(page.text)
        if form_index == -1:
            # The form that has the fields we fill: the admin's logout button is
            # a CSRF form too, and comes first on every admin page.
            candidates = [
                f
                for f in forms
                if "csrfmiddlewaretoken" in f.fields and set(changes) <= set(f.fields)
            ]
            if not candidates:
                raise AssertionError(f"no form with a CSRF token at {path} ({page.status})")
            form = candidates[0]
        else:
            form = forms[form_index]
        action = urljoin(self.url(path), form.action) if form.action else self.url(path)
        headers = {"Referer": referer or self.page_url(path)}
        return self.post(action, {**form.fields, **changes}, headers=headers)


def multipart(data: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body, as a browser sends a form with a file: (body, Content-Type)."""
    boundary = f"----filamenta{secrets.token_hex(12)}"
    parts = []
    for name, value in data.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


@dataclass
class Form:
    action: str
    fields: dict[str, str]


class _FormParser(HTMLParser):
    """The values a browser would submit for each form: inputs, textareas, selects."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), {}))
            return
        if not self.forms:
            return
        fields = self.forms[-1].fields
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    fields[name] = a.get("value", "on")
                return
            fields[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
                fields.setdefault(self._select, value)
            if "selected" in a:
                fields[self._select] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea and self.forms:
            # Browsers drop the newline that starts a textarea's content; so must we.
            fields = self.forms[-1].fields
            fields[self._textarea] = fields[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def parse_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms
