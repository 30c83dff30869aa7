"""The MDN HTTP Observatory's scoring, ported to Python, for tests and rehearsals.

A port of github.com/mdn/mdn-http-observatory (algorithm version 6, commit
94042bbfbf9f1af722ad9114ada6d271dcb525b9): every test of
``src/constants.js``'s ALL_TESTS (``src/analyzer/tests/*.js``), the CSP
parser (``src/analyzer/cspParser.js``), the score table and grade chart
(``src/grader/charts.js``) and the sum with its extra-credit rule
(``src/scanner/index.js``). npm is not reachable here, so the Node tool
cannot be run; each function names the file it follows, and
tests/devtools/test_observatory.py checks the port on known header sets.

What is gathered is what the Observatory's retriever gathers
(``src/retriever/retriever.js``): the page fetched over https and over http,
each following redirects, with one cookie jar per session; a CORS preflight
(OPTIONS with ``Origin``) to the final address. ``fetch_site`` does this with
http.client against a server on loopback (``connect`` maps a URL's host to
the address that serves it), so nothing leaves the machine.

Where the port differs, on purpose: the HSTS preload list
(``conf/hsts-preload.json``, 20 MB) is not shipped: pass ``preloaded`` when
a host is on it (a loopback rehearsal's is not); the registrable domain of a
third-party script (tldts) is taken as the last two labels of the host.
"""

from __future__ import annotations

import contextlib
import http.client
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from http_sfv import Item, Token

ALGORITHM_VERSION = 6
CORS_ORIGIN = "https://http-observatory.security.mozilla.org"
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
HTML_TYPES = {"text/html", "application/xhtml+xml"}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 10

# src/grader/charts.js: SCORE_TABLE's modifiers.
MODIFIERS: dict[str, int] = {
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    "csp-not-implemented-but-reporting-enabled": -25,
    "csp-implemented-but-duplicate-directives": 0,
    "cookies-secure-with-httponly-sessions-and-samesite": 5,
    "cookies-secure-with-httponly-sessions": 0,
    "cookies-not-found": 0,
    "cookies-without-secure-flag-but-protected-by-hsts": -5,
    "cookies-session-without-secure-flag-but-protected-by-hsts": -10,
    "cookies-without-secure-flag": -20,
    "cookies-samesite-flag-invalid": -20,
    "cookies-anticsrf-without-samesite-flag": -20,
    "cookies-session-without-httponly-flag": -30,
    "cookies-session-without-secure-flag": -40,
    "cross-origin-resource-sharing-not-implemented": 0,
    "cross-origin-resource-sharing-implemented-with-public-access": 0,
    "cross-origin-resource-sharing-implemented-with-restricted-access": 0,
    "cross-origin-resource-sharing-implemented-with-universal-access": -50,
    "redirection-all-redirects-preloaded": 0,
    "redirection-to-https": 0,
    "redirection-not-needed-no-http": 0,
    "redirection-off-host-from-http": -5,
    "redirection-not-to-https-on-initial-redirection": -10,
    "redirection-not-to-https": -20,
    "redirection-missing": -20,
    "redirection-invalid-cert": -20,
    "referrer-policy-private": 5,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    "hsts-preloaded": 5,
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    "hsts-not-implemented-no-https": -20,
    "hsts-invalid-cert": -20,
    "sri-implemented-and-all-scripts-loaded-securely": 5,
    "sri-implemented-and-external-scripts-loaded-securely": 5,
    "sri-not-implemented-response-not-html": 0,
    "sri-not-implemented-but-no-scripts-loaded": 0,
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": 0,
    "sri-not-implemented-but-external-scripts-loaded-securely": -5,
    "sri-implemented-but-external-scripts-not-loaded-securely": -20,
    "sri-not-implemented-and-external-scripts-not-loaded-securely": -50,
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 5,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
    "corp-header-invalid": -5,
    "corp-implemented-with-cross-origin": 0,
    "corp-implemented-with-same-origin": 10,
    "corp-implemented-with-same-site": 10,
    "corp-not-implemented": 0,
    "coep-implemented-with-require-corp": 10,
    "coep-implemented-with-credentialless": 10,
    "coep-implemented-with-unsafe-none": 0,
    "coep-not-implemented": 0,
    "coep-header-invalid": -5,
    "coop-implemented-with-same-origin": 10,
    "coop-implemented-with-same-origin-allow-popups": 10,
    "coop-implemented-with-noopener-allow-popups": 10,
    "coop-implemented-with-unsafe-none": 0,
    "coop-not-implemented": 0,
    "coop-header-invalid": -5,
    "html-not-parseable": -20,
}
GRADES = {100: "A+", 95: "A", 90: "A", 85: "A-", 80: "B+", 75: "B", 70: "B", 65: "B-"}
GRADES |= {60: "C+", 55: "C", 50: "C", 45: "C-", 40: "D+", 35: "D", 30: "D", 25: "D-"}
GRADES |= {20: "F", 15: "F", 10: "F", 5: "F", 0: "F"}


# -- what was fetched --------------------------------------------------------
@dataclass
class Response:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: str = ""
    # The retriever's response.verified: the TLS chain checked out (true over plain HTTP).
    verified: bool = True

    def all(self, name: str) -> list[str]:
        """getHttpHeaders: every value of ``name``, in order."""
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def first(self, name: str) -> str | None:
        """getFirstHttpHeader."""
        values = self.all(name)
        return values[0] if values else None


@dataclass
class Cookie:
    name: str
    value: str
    domain: str | None = None
    path: str = "/"
    secure: bool = False
    httponly: bool = False
    samesite: str | None = None  # tough-cookie: "strict" | "lax" | "none", else unset


@dataclass
class Requests:
    """``Requests`` of src/types.js: what the analysers read."""

    url: str  # the session's URL (the https one when https answered)
    auto: Response | None
    http: Response | None = None
    https: Response | None = None
    http_redirects: list[tuple[str, int]] = field(default_factory=list)
    cors: Response | None = None
    cors_origin: str = CORS_ORIGIN
    cookies: list[Cookie] = field(default_factory=list)
    preloaded: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    @property
    def hostname(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass
class Result:
    name: str
    result: str | None
    passed: bool
    data: object = None

    @property
    def modifier(self) -> int:
        return MODIFIERS.get(self.result or "", 0)


@dataclass
class Scan:
    score: int
    grade: str
    tests: dict[str, Result]

    def summary(self) -> str:
        """One line per test that cost points, for a failing check's detail."""
        lost = [f"{t.name}: {t.result} ({t.modifier:+d})" for t in self.tests.values()]
        return f"score {self.score} ({self.grade}); " + "; ".join(lost)


# -- utils -------------------------------------------------------------------
def only_if_worse(new: str, old: str | None, order: list[str]) -> str:
    """src/analyzer/utils.js onlyIfWorse."""
    if old is None or order.index(new) > (order.index(old) if old in order else -1):
        return new
    return old


def structured_token(value: str) -> str | None:
    """src/analyzer/utils.js parseStructuredFieldToken (RFC 8941 item, token only)."""
    item = Item()
    try:
        item.parse(value.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    return str(item.value) if isinstance(item.value, Token) else None


class _Elements(HTMLParser):
    def __init__(self, tag: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tag, self.found = tag, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == self.tag:
            self.found.append({k.lower(): v or "" for k, v in attrs})

    handle_startendtag = handle_starttag


def collect_elements(html: str, tag: str) -> list[dict[str, str]]:
    """src/utils/html-parser.js collectElements: the attributes of every <tag>."""
    parser = _Elements(tag)
    parser.feed(html)
    parser.close()
    return parser.found


def http_equiv(response: Response) -> dict[str, list[str]]:
    """src/retriever/utils.js parseHttpEquivHeaders, for an HTML response only."""
    found: dict[str, list[str]] = {"content-security-policy": []}
    mime = (response.first("content-type") or "").split(";", 1)[0]
    if mime not in HTML_TYPES or not response.body:
        return {}
    for meta in collect_elements(response.body, "meta"):
        if "http-equiv" in meta and "content" in meta:
            if meta["content"] and meta["http-equiv"].lower().strip() == "content-security-policy":
                found["content-security-policy"].append(meta["content"])
        elif meta.get("name", "").lower().strip() == "referrer" and meta.get("content"):
            found["referrer-policy"] = [meta["content"]]
    return found


# -- CSP parser (src/analyzer/cspParser.js) ----------------------------------
DUPLICATE_WARNINGS_KEY = "_observatory_duplicate_key_warnings"
ALLOWED_DUPLICATE_KEYS = {"report-uri", "report-to"}
DIRECTIVES_DISALLOWED_IN_META = ("frame-ancestors", "report-uri", "sandbox")


class CspInvalid(ValueError):
    pass


def _path_part_match(a: str, b: str) -> bool:
    if not a:
        return True
    if a == "/" and not b:
        return True
    exact = not a.endswith("/")
    parts_a, parts_b = a.split("/"), b.split("/")
    if len(parts_a) > len(parts_b) or (exact and len(parts_a) != len(parts_b)):
        return False
    if not exact:
        parts_a.pop()
    return all(unquote(x) == unquote(y) for x, y in zip(parts_a, parts_b, strict=False))


def parse_csp(policies: list[str]) -> dict[str, set[str]]:
    """parseCsp: directive -> sources, several policies intersected; raises CspInvalid."""
    clean = [p.replace("\r", "").replace("\n", "").strip() for p in policies]
    if not clean:
        return {}
    if any(not p or len(p) < len("img-src") - 1 for p in clean):
        raise CspInvalid(f"invalid policy in {clean}")
    csp: dict[str, list[dict]] = {}
    warnings: set[str] = set()
    for index, policy in enumerate(clean):
        seen: set[str] = set()
        for entry in policy.split(";"):
            words = entry.strip().split()
            if not words:
                continue
            directive, values = words[0].lower(), words[1:]
            if directive in seen:
                if directive not in ALLOWED_DUPLICATE_KEYS:
                    raise CspInvalid(f"duplicate directive {directive} in policy {index}")
                warnings.add(directive)
            else:
                seen.add(directive)
            keep = index == 0
            sources = [{"source": v.strip().lower(), "index": index, "keep": keep} for v in values]
            if not values and directive.endswith("-src"):
                sources = [{"source": "'none'", "index": index, "keep": keep}]
            combined = list(sources) if index == 0 else [*csp.get(directive, []), *sources]
            combined.sort(key=lambda s: s["source"])
            for i in range(1, len(combined)):
                source, prev = combined[i], combined[i - 1]
                if source["index"] == prev["index"] and source["source"].startswith(prev["source"]):
                    source["keep"] = False
                if source["index"] != prev["index"] and _path_part_match(
                    prev["source"], source["source"]
                ):
                    source["keep"] = True
            csp[directive] = [s for s in combined if s["keep"]]
            if index == 0 and len(policies) > 1:
                for s in csp[directive]:
                    s["keep"] = False
    final = {d: ({s["source"] for s in srcs} or {"'none'"}) for d, srcs in csp.items()}
    if warnings:
        final[DUPLICATE_WARNINGS_KEY] = warnings
    return final


def parse_csp_meta(policies: list[str]) -> dict[str, set[str]]:
    parsed = parse_csp(policies)
    for directive in DIRECTIVES_DISALLOWED_IN_META:
        parsed.pop(directive, None)
    return parsed


# -- the tests (src/analyzer/tests/*.js) --------------------------------------
DANGEROUSLY_BROAD = {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*"}
DANGEROUSLY_BROAD |= {"https://*.*"}
UNSAFE_INLINE = {"'unsafe-inline'", "data:"}
BROAD_OR_INLINE = DANGEROUSLY_BROAD | UNSAFE_INLINE
PASSIVE_DIRECTIVES = ("img-src", "media-src")
NONCES_HASHES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")


def _split_policies(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",")]


def content_security_policy(r: Requests) -> Result:
    """csp.js."""
    out = Result("content-security-policy", None, False)
    response = r.auto
    if response is None:
        out.result = "csp-not-implemented"
        return out
    header_policies = _split_policies(response.all("content-security-policy"))
    meta_policies = _split_policies(http_equiv(response).get("content-security-policy", []))
    try:
        csp = parse_csp([*header_policies, *meta_policies])
    except CspInvalid:
        out.result = "csp-header-invalid"
        return out
    try:
        header_only = parse_csp(header_policies)
    except CspInvalid:
        header_only = {}
    try:
        meta = parse_csp_meta(meta_policies)
    except CspInvalid:
        meta = {}
    if len(header_only) + len(meta) == 0:
        reporting = response.first("content-security-policy-report-only")
        out.result = (
            "csp-not-implemented-but-reporting-enabled" if reporting else "csp-not-implemented"
        )
        return out

    star = {"*"}
    base_uri = csp.get("base-uri") or star
    frame_ancestors = header_only.get("frame-ancestors") or star
    form_action = csp.get("form-action") or star
    object_src = set(csp.get("object-src") or csp.get("default-src") or star)
    script_src = set(csp.get("script-src") or csp.get("default-src") or star)
    style_src = set(csp.get("style-src") or csp.get("default-src") or star)
    for sources in (script_src, style_src):
        if any(s.startswith(NONCES_HASHES) for s in sources):
            sources.discard("'unsafe-inline'")
    strict_dynamic = "'strict-dynamic'" in script_src
    if strict_dynamic and any(s.startswith(NONCES_HASHES) for s in script_src):
        for source in list(script_src):
            if any(source.startswith(b) for b in DANGEROUSLY_BROAD) or source in (
                "'self'",
                "'unsafe-inline'",
            ):
                script_src.discard(source)
    elif strict_dynamic and out.result is None:
        out.result = "csp-header-invalid"

    active = [
        s
        for d, sources in csp.items()
        if d not in PASSIVE_DIRECTIVES and d != "script-src"
        for s in sources
    ] + list(script_src)
    passive = [s for d in PASSIVE_DIRECTIVES for s in (csp.get(d) or csp.get("default-src") or ())]
    https = urlsplit(r.url).scheme == "https"

    def first(result: str) -> None:
        if out.result is None:
            out.result = result

    if script_src & BROAD_OR_INLINE or object_src & DANGEROUSLY_BROAD:
        first("csp-implemented-with-unsafe-inline")
    if https and any(s.startswith(("http:", "ftp:")) for s in active):
        first("csp-implemented-with-insecure-scheme")
    if "'unsafe-eval'" in script_src | style_src:
        first("csp-implemented-with-unsafe-eval")
    if https and any(s.startswith(("http:", "ftp:")) for s in passive):
        first("csp-implemented-with-insecure-scheme-in-passive-content-only")
    if style_src & BROAD_OR_INLINE:
        first("csp-implemented-with-unsafe-inline-in-style-src-only")
    if csp.get("default-src") == {"'none'"}:
        first("csp-implemented-with-no-unsafe-default-src-none")
    else:
        first("csp-implemented-with-no-unsafe")
    out.data = {
        "directives": {k: sorted(v) for k, v in csp.items() if k != DUPLICATE_WARNINGS_KEY},
        "antiClickjacking": not frame_ancestors & DANGEROUSLY_BROAD,
        "insecureBaseUri": bool(base_uri & BROAD_OR_INLINE),
        "insecureFormAction": bool(form_action & DANGEROUSLY_BROAD),
    }
    if out.result in (
        "csp-implemented-with-no-unsafe",
        "csp-implemented-with-no-unsafe-default-src-none",
        "csp-implemented-with-unsafe-inline-in-style-src-only",
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
    ):
        out.passed = True
        if DUPLICATE_WARNINGS_KEY in csp:
            out.result = "csp-implemented-but-duplicate-directives"
    return out


def _invalid_samesite(raw: str) -> bool:
    for part in raw.strip().split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "samesite" and (
            not value or value.strip().lower() not in ("lax", "strict", "none")
        ):
            return True
    return False


def cookies(r: Requests) -> Result:
    """cookies.js."""
    out = Result("cookies", None, False)
    goodness = [
        "cookies-without-secure-flag-but-protected-by-hsts",
        "cookies-without-secure-flag",
        "cookies-session-without-secure-flag-but-protected-by-hsts",
        "cookies-samesite-flag-invalid",
        "cookies-anticsrf-without-samesite-flag",
        "cookies-session-without-httponly-flag",
        "cookies-session-without-secure-flag",
    ]
    hsts = strict_transport_security(r).passed
    if r.auto is not None:
        for raw in r.auto.all("set-cookie"):
            if _invalid_samesite(raw):
                out.result = only_if_worse("cookies-samesite-flag-invalid", out.result, goodness)
    jar = [c for c in r.cookies if c.name and c.name != "heroku-session-affinity"]
    if not jar:
        out.result = "cookies-not-found"
    else:
        missing_samesite = False
        for cookie in jar:
            key = cookie.name.lower()
            session = "login" in key or "sess" in key
            anticsrf = "csrf" in key
            if not cookie.secure and cookie.samesite == "none":
                out.result = only_if_worse("cookies-samesite-flag-invalid", out.result, goodness)
            if not cookie.secure:
                worse = "cookies-without-secure-flag" + ("-but-protected-by-hsts" if hsts else "")
                out.result = only_if_worse(worse, out.result, goodness)
            if anticsrf and not cookie.samesite:
                out.result = only_if_worse(
                    "cookies-anticsrf-without-samesite-flag", out.result, goodness
                )
            if session and not cookie.secure:
                worse = "cookies-session-without-secure-flag" + (
                    "-but-protected-by-hsts" if hsts else ""
                )
                out.result = only_if_worse(worse, out.result, goodness)
            if session and not cookie.httponly:
                out.result = only_if_worse(
                    "cookies-session-without-httponly-flag", out.result, goodness
                )
            missing_samesite = missing_samesite or not cookie.samesite
        if out.result is None:
            out.result = (
                "cookies-secure-with-httponly-sessions"
                if missing_samesite
                else "cookies-secure-with-httponly-sessions-and-samesite"
            )
        out.data = {c.name: c for c in jar}
    out.passed = out.result in (
        "cookies-not-found",
        "cookies-secure-with-httponly-sessions-and-samesite",
        "cookies-secure-with-httponly-sessions",
    )
    return out


def _cross_origin_policy(r: Requests, header: str, prefix: str, known: tuple[str, ...]) -> Result:
    """cross-origin-embedder-policy.js and cross-origin-opener-policy.js (the same shape)."""
    out = Result(header, f"{prefix}-not-implemented", False)
    if r.auto is None:
        return out
    values = r.auto.all(header)
    if len(values) > 1:
        out.result = f"{prefix}-header-invalid"
    elif values:
        out.data = values[0][:1024].strip()
        policy = structured_token(out.data)
        out.result = (
            f"{prefix}-implemented-with-{policy}" if policy in known else f"{prefix}-header-invalid"
        )
    out.passed = out.result != f"{prefix}-header-invalid"
    return out


def cross_origin_embedder_policy(r: Requests) -> Result:
    known = ("require-corp", "credentialless", "unsafe-none")
    return _cross_origin_policy(r, "cross-origin-embedder-policy", "coep", known)


def cross_origin_opener_policy(r: Requests) -> Result:
    known = ("same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none")
    return _cross_origin_policy(r, "cross-origin-opener-policy", "coop", known)


def cross_origin_resource_sharing(r: Requests) -> Result:
    """cors.js: the preflight's answer to our Origin."""
    out = Result(
        "cross-origin-resource-sharing", "cross-origin-resource-sharing-not-implemented", True
    )
    acao = r.cors.first("access-control-allow-origin") if r.cors else None
    if r.cors is not None and acao:
        out.data = acao[:256].strip().lower()
        credentials = r.cors.first("access-control-allow-credentials") or ""
        if out.data == "*":
            out.result = "cross-origin-resource-sharing-implemented-with-public-access"
        elif r.cors_origin == acao and credentials.lower().strip() == "true":
            out.result = "cross-origin-resource-sharing-implemented-with-universal-access"
            out.passed = False
        else:
            out.result = "cross-origin-resource-sharing-implemented-with-restricted-access"
    return out


def _preloaded(r: Requests, hostname: str) -> Mapping[str, object] | None:
    """hsts.js isHstsPreloaded, against ``r.preloaded`` (host -> {mode, includeSubDomains})."""
    entry = r.preloaded.get(hostname)
    if entry and entry.get("mode") == "force-https":
        return entry
    labels = hostname.split(".")[1:]
    while labels:
        entry = r.preloaded.get(".".join(labels))
        if entry and entry.get("mode") == "force-https" and entry.get("includeSubDomains"):
            return entry
        labels.pop(0)
    return None


def redirection(r: Requests) -> Result:
    """redirection.js."""
    out = Result("redirection", None, False)
    route = r.http_redirects
    if r.http is None:
        out.result = "redirection-not-needed-no-http"
    elif not r.http.verified:
        out.result = "redirection-invalid-cert"
    else:
        urls = [urlsplit(url) for url, _ in route]
        if all(_preloaded(r, u.hostname or "") for u in urls):
            out.result = "redirection-all-redirects-preloaded"
        elif len(route) == 1:
            out.result = "redirection-missing"
        elif urls[-1].scheme != "https":
            out.result = "redirection-not-to-https"
        elif urls[1].scheme == "http":
            out.result = "redirection-not-to-https-on-initial-redirection"
        elif urls[0].scheme == "http" and urls[1].hostname != urls[0].hostname:
            out.result = "redirection-off-host-from-http"
        else:
            out.result = "redirection-to-https"
    out.data = [url for url, _ in route]
    out.passed = out.result in (
        "redirection-not-needed-no-http",
        "redirection-all-redirects-preloaded",
        "redirection-to-https",
    )
    return out


def referrer_policy(r: Requests) -> Result:
    """referrer-policy.js."""
    goodness = ["no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"]
    badness = ["origin", "origin-when-cross-origin", "unsafe-url", "no-referrer-when-downgrade"]
    out = Result("referrer-policy", "referrer-policy-not-implemented", True)
    if r.auto is None:
        out.passed = False
        return out
    values = r.auto.all("referrer-policy") + http_equiv(r.auto).get("referrer-policy", [])
    if not values:
        return out
    out.data = ", ".join(values)
    valid = [
        e.lower().strip() for e in out.data.split(",") if e.lower().strip() in goodness + badness
    ]
    policy = valid[-1] if valid else ""
    if policy in goodness:
        out.result = "referrer-policy-private"
    elif policy in badness:
        out.result, out.passed = "referrer-policy-unsafe", False
    else:
        out.result, out.passed = "referrer-policy-header-invalid", False
    return out


SIX_MONTHS = 15_552_000


def strict_transport_security(r: Requests) -> Result:
    """strict-transport-security.js."""
    out = Result("strict-transport-security", "hsts-not-implemented", False)
    response = r.https
    if response is None:
        out.result = "hsts-not-implemented-no-https"
    elif not response.verified:
        out.result = "hsts-invalid-cert"
    elif response.all("strict-transport-security"):
        out.data = response.all("strict-transport-security")[0][:1024]
        max_age = None
        for parameter in (p.strip().lower() for p in out.data.split(";")):
            if parameter.startswith("max-age="):
                digits = parameter[8:128]
                number = digits[: len(digits) - len(digits.lstrip("0123456789"))]
                max_age = int(number) if number else None
        if "," in out.data or max_age is None:
            out.result = "hsts-header-invalid"
        elif max_age < SIX_MONTHS:
            out.result = "hsts-implemented-max-age-less-than-six-months"
        else:
            out.result = "hsts-implemented-max-age-at-least-six-months"
    if response is not None and _preloaded(r, r.hostname):
        out.result = "hsts-preloaded"
    out.passed = out.result in ("hsts-implemented-max-age-at-least-six-months", "hsts-preloaded")
    return out


def _registrable(host: str) -> str:
    return ".".join(host.split(".")[-2:])


def subresource_integrity(r: Requests) -> Result:
    """subresource-integrity.js."""
    goodness = [
        "sri-implemented-and-all-scripts-loaded-securely",
        "sri-implemented-and-external-scripts-loaded-securely",
        "sri-implemented-but-external-scripts-not-loaded-securely",
        "sri-not-implemented-but-external-scripts-loaded-securely",
        "sri-not-implemented-and-external-scripts-not-loaded-securely",
        "sri-not-implemented-response-not-html",
    ]
    out = Result("subresource-integrity", None, False, {})
    if r.auto is None:
        out.result = "sri-not-implemented-but-no-scripts-loaded"
        return out
    mime = (r.auto.first("content-type") or "").split(";", 1)[0]
    if mime and mime not in HTML_TYPES:
        out.result = "sri-not-implemented-response-not-html"
    else:
        scripts = collect_elements(r.auto.body, "script")
        foreign = False
        for script in scripts:
            src = script.get("src")
            if not src:
                continue
            integrity = script.get("integrity") or None
            relative_protocol = src.startswith("//") and len(src) > 2 and src[2] != "/"
            full_url = src.startswith(("http://", "https://"))
            relative_origin = not relative_protocol and not full_url
            same_domain = True
            if full_url:
                same_domain = _registrable(urlsplit(src).hostname or "") == _registrable(r.hostname)
            secure_origin = relative_origin or (same_domain and not relative_protocol)
            foreign = foreign or not secure_origin
            scheme = urlsplit(src).scheme if full_url else None
            secure_scheme = scheme == "https" or (
                relative_origin and urlsplit(r.url).scheme == "https"
            )
            if not secure_origin:
                out.data[src] = {"crossorigin": script.get("crossorigin"), "integrity": integrity}
                if integrity and not secure_scheme:
                    worse = "sri-implemented-but-external-scripts-not-loaded-securely"
                elif not integrity and secure_scheme:
                    worse = "sri-not-implemented-but-external-scripts-loaded-securely"
                elif not integrity:
                    worse = "sri-not-implemented-and-external-scripts-not-loaded-securely"
                else:
                    continue
                out.result = only_if_worse(worse, out.result, goodness)
            elif integrity and secure_scheme and out.result is None:
                out.result = "sri-implemented-and-all-scripts-loaded-securely"
        if not scripts:
            out.result = "sri-not-implemented-but-no-scripts-loaded"
        elif out.result is None:
            out.result = (
                "sri-implemented-and-external-scripts-loaded-securely"
                if foreign
                else "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
            )
    out.passed = out.result in (
        "sri-implemented-and-all-scripts-loaded-securely",
        "sri-implemented-and-external-scripts-loaded-securely",
        "sri-not-implemented-response-not-html",
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        "sri-not-implemented-but-no-scripts-loaded",
    )
    return out


def x_content_type_options(r: Requests) -> Result:
    """x-content-type-options.js."""
    header = r.auto.first("x-content-type-options") if r.auto else None
    if not header:
        return Result("x-content-type-options", "x-content-type-options-not-implemented", False)
    if header[:256].strip().lower() == "nosniff":
        return Result("x-content-type-options", "x-content-type-options-nosniff", True, header)
    return Result("x-content-type-options", "x-content-type-options-header-invalid", False, header)


def x_frame_options(r: Requests) -> Result:
    """x-frame-options.js: frame-ancestors in the CSP header stands in for it."""
    out = Result("x-frame-options", "x-frame-options-not-implemented", False)
    if r.auto is None:
        return out
    if header := r.auto.first("x-frame-options"):
        out.data = header[:1024]
        xfo = out.data.strip().lower()
        if xfo in ("deny", "sameorigin"):
            out.result = "x-frame-options-sameorigin-or-deny"
        elif xfo.startswith("allow-from"):
            out.result = "x-frame-options-allow-from-origin"
        else:
            out.result = "x-frame-options-header-invalid"
    csp = content_security_policy(r).data
    if csp and "frame-ancestors" in csp["directives"]:
        out.result = "x-frame-options-implemented-via-csp"
    out.passed = out.result in (
        "x-frame-options-allow-from-origin",
        "x-frame-options-sameorigin-or-deny",
        "x-frame-options-implemented-via-csp",
    )
    return out


def cross_origin_resource_policy(r: Requests) -> Result:
    """cross-origin-resource-policy.js (the header: the retriever parses no CORP http-equiv)."""
    out = Result("cross-origin-resource-policy", "corp-not-implemented", True)
    if r.auto is None:
        return out
    header = ", ".join(r.auto.all("cross-origin-resource-policy"))
    if header:
        out.data = header[:256].strip().lower()
        known = {"same-site", "same-origin", "cross-origin"}
        out.result = (
            f"corp-implemented-with-{out.data}" if out.data in known else "corp-header-invalid"
        )
        out.passed = out.data in known
    return out


ALL_TESTS: tuple[Callable[[Requests], Result], ...] = (
    content_security_policy,
    cookies,
    cross_origin_embedder_policy,
    cross_origin_opener_policy,
    cross_origin_resource_sharing,
    redirection,
    referrer_policy,
    strict_transport_security,
    subresource_integrity,
    x_content_type_options,
    x_frame_options,
    cross_origin_resource_policy,
)


def grade(score: int) -> str:
    """grader.js getGradeForScore."""
    score = max(score, 0)
    return GRADES[min(score - score % 5, 100)]


def analyze(r: Requests) -> Scan:
    """scanner/index.js analyzeScan: 100, plus every modifier, extra credit only from 90."""
    if r.auto is None:
        raise ValueError("The site seems to be down.")
    if r.auto.status < 200 or (r.auto.status >= 400 and r.auto.status not in (401, 403)):
        raise ValueError(f"Site did respond with an unexpected HTTP status code {r.auto.status}.")
    results = [test(r) for test in ALL_TESTS]
    with_extra = uncurved = 100
    for result in results:
        if result.result is None:
            continue
        with_extra += result.modifier
        uncurved += min(result.modifier, 0)
    score = with_extra if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved
    return Scan(max(score, 0), grade(score), {res.name: res for res in results})


# -- the retriever (src/retriever/retriever.js, session.js) -------------------
# url -> (address, port, headers to add, TLS context or None for plain TCP).
Connect = Callable[[str], tuple[str, int, dict[str, str], ssl.SSLContext | None]]


def _parse_set_cookie(line: str, url: str) -> tuple[Cookie, bool] | None:
    """One Set-Cookie as tough-cookie 5 keeps it: (cookie, deleted) or None when refused."""
    pair, *attributes = line.split(";")
    name, sep, value = pair.partition("=")
    if not sep:
        return None
    cookie = Cookie(name.strip(), value.strip())
    deleted = False
    for attribute in attributes:
        key, _, val = attribute.strip().partition("=")
        key, val = key.strip().lower(), val.strip()
        if key == "domain" and val:
            cookie.domain = val.lstrip(".").lower()
        elif key == "path" and val.startswith("/"):
            cookie.path = val
        elif key == "secure":
            cookie.secure = True
        elif key == "httponly":
            cookie.httponly = True
        elif key == "samesite":
            cookie.samesite = val.lower() if val.lower() in ("strict", "lax", "none") else None
        elif key == "max-age" and val.lstrip("-").isdigit():
            deleted = deleted or int(val) <= 0
        elif key == "expires":
            with contextlib.suppress(TypeError, ValueError):
                deleted = deleted or parsedate_to_datetime(val) <= datetime.now(UTC)
    secure_url = urlsplit(url).scheme == "https"
    # tough-cookie's prefixSecurity "silent" (its default): a cookie breaking its prefix is dropped.
    if cookie.name.startswith("__Secure-") and not (cookie.secure and secure_url):
        return None
    if cookie.name.startswith("__Host-") and not (
        cookie.secure and secure_url and cookie.domain is None and cookie.path == "/"
    ):
        return None
    return cookie, deleted


@dataclass
class Session:
    """One of the retriever's two sessions: its redirect chain and its cookie jar."""

    connect: Connect
    jar: dict[tuple[str, str | None, str], Cookie] = field(default_factory=dict)
    history: list[tuple[str, int]] = field(default_factory=list)

    def request(self, method: str, url: str, headers: dict[str, str] | None = None) -> Response:
        host, port, extra, tls = self.connect(url)
        parts = urlsplit(url)
        # The connector decides: TLS to a server that has it, or plain HTTP to one
        # behind a proxy that would terminate it (``extra`` then says so, as it would).
        if tls is not None:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=30, context=tls
            )
        else:
            conn = http.client.HTTPConnection(host, port, timeout=30)
        sent = {"Host": parts.netloc, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        sent |= {"User-Agent": "Observatory/129.0 (filamenta devtools.observatory)", **extra}
        sent |= headers or {}
        if cookies := [c for c in self.jar.values() if parts.scheme == "https" or not c.secure]:
            sent["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in cookies)
        try:
            conn.request(
                method, parts.path + (f"?{parts.query}" if parts.query else ""), None, sent
            )
            raw = conn.getresponse()
            response = Response(
                url, raw.status, raw.getheaders(), raw.read().decode(errors="replace")
            )
        finally:
            conn.close()
        for line in response.all("set-cookie"):
            if parsed := _parse_set_cookie(line, url):
                cookie, deleted = parsed
                key = (cookie.name, cookie.domain, cookie.path)
                if deleted:
                    self.jar.pop(key, None)
                else:
                    self.jar[key] = cookie
        return response

    def get_following(self, url: str) -> Response:
        """clientInstanceRecordingRedirects.get: follow up to ten redirects, recording each."""
        response = self.request("GET", url)
        self.history.append((url, response.status))
        for _ in range(MAX_REDIRECTS):
            if response.status not in REDIRECT_STATUSES:
                break
            url = urljoin(url, response.first("location") or "")
            response = self.request("GET", url)
            self.history.append((url, response.status))
        return response


def fetch_site(
    http_url: str,
    https_url: str,
    *,
    connect: Connect,
    preloaded: Mapping[str, Mapping[str, object]] | None = None,
) -> Requests:
    """retrieve(): both sessions, the page, a CORS preflight; what ``analyze`` scores."""
    http_session, https_session = Session(connect), Session(connect)
    http_response = http_session.get_following(http_url)
    try:
        https_response: Response | None = https_session.get_following(https_url)
    except OSError:
        https_response = None
    session, auto = (
        (https_session, https_response) if https_response else (http_session, http_response)
    )
    final = session.history[-1][0] if session.history else https_url
    # The preflight goes through the session's plain client: no cookies kept from it.
    cors = Session(connect).request(
        "OPTIONS", final, {"Access-Control-Request-Method": "GET", "Origin": CORS_ORIGIN}
    )
    return Requests(
        url=https_url if https_response else http_url,
        auto=auto,
        http=http_response,
        https=https_response,
        http_redirects=http_session.history,
        cors=cors,
        cookies=list(session.jar.values()),
        preloaded=preloaded or {},
    )


def through_proxy(port: int, *, address: str = "127.0.0.1") -> Connect:
    """A connector for a server behind a TLS-terminating proxy, the proxy played here.

    Every URL goes to ``address:port`` over plain HTTP; an https URL carries
    ``X-Forwarded-Proto: https``, as nginx or a load balancer sends it, so the
    site answers as it does behind one. (The "verified" certificate is then
    the proxy's business, and counted as valid.)
    """

    def connect(url: str) -> tuple[str, int, dict[str, str], ssl.SSLContext | None]:
        https = urlsplit(url).scheme == "https"
        return address, port, ({"X-Forwarded-Proto": "https"} if https else {}), None

    return connect


def scan_page(http_url: str, https_url: str, *, connect: Connect) -> Scan:
    """fetch_site then analyze: the whole scan of one page."""
    return analyze(fetch_site(http_url, https_url, connect=connect))
