"""devtools/observatory.py on known header sets: the Observatory's own test vectors
(mdn/mdn-http-observatory test/csp.test.js and friends, at the commit the port cites)
and whole scans whose score is worked out by hand from src/grader/charts.js.
"""

from __future__ import annotations

import pytest

from devtools import observatory
from devtools.observatory import Cookie, Requests, Response

SECURE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]
OUR_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
CSRF = Cookie("csrftoken", "x", secure=True, samesite="lax")


def requests(
    headers: list[tuple[str, str]],
    *,
    body: str = "",
    cookies: list[Cookie] | None = None,
    route: list[tuple[str, int]] | None = None,
    cors: list[tuple[str, str]] | None = None,
) -> Requests:
    """Like the Observatory's emptyRequests(): mozilla.org, http redirected to https."""
    page = Response("https://mozilla.org/", 200, headers, body)
    return Requests(
        url="https://mozilla.org/",
        auto=page,
        http=page,
        https=page,
        http_redirects=route or [("http://mozilla.org/", 301), ("https://mozilla.org/", 200)],
        cors=Response("https://mozilla.org/", 200, cors or []),
        cookies=cookies or [],
    )


def csp(value: str) -> str:
    return observatory.content_security_policy(
        requests([("Content-Security-Policy", value)])
    ).result


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[
            (v, "csp-header-invalid")
            for v in (
                "  ",
                "",
                "default-src 'none'; default-src 'none'",
                "default-src 'none'; img-src 'self'; default-src 'none'",
                "default-src 'none'; script-src 'strict-dynamic'",
                "defa",
            )
        ],
        ("default-src 'none'; script-src https://*", "csp-implemented-with-unsafe-inline"),
        ("default-src http://mozilla.org", "csp-implemented-with-insecure-scheme"),
        (
            "default-src 'none'; script-src ftp://mozilla.org",
            "csp-implemented-with-insecure-scheme",
        ),
        *[
            (v, "csp-implemented-with-insecure-scheme-in-passive-content-only")
            for v in (
                "default-src 'none'; img-src http://mozilla.org",
                "default-src 'self'; img-src ftp:",
                "default-src 'none'; img-src https:; media-src http://mozilla.org",
                "default-src 'none'; img-src 'none'; media-src http:; script-src 'self'; "
                "style-src 'unsafe-inline'",
            )
        ],
        *[
            (v, "csp-implemented-with-unsafe-inline")
            for v in (
                "script-src 'unsafe-inline'",
                "script-src data:",
                "default-src 'UNSAFE-INLINE'",
                "upgrade-insecure-requests",
                "script-src 'none'",
                "script-src https://mozilla.org https:",
                "default-src *; script-src *; object-src 'none'",
                "default-src 'none'; script-src 'none'; object-src *",
                "object-src https:; script-src 'none'",
            )
        ],
        ("default-src 'none'; script-src 'unsafe-eval'", "csp-implemented-with-unsafe-eval"),
        *[
            (v, "csp-implemented-with-unsafe-inline-in-style-src-only")
            for v in (
                "object-src 'none'; script-src 'none'; style-src 'unsafe-inline'",
                "default-src 'unsafe-inline'; script-src https://mozilla.org",
                "default-src 'none';;; ;;;style-src 'self' 'unsafe-inline'",
                "default-src 'none'; style-src data:",
                "default-src 'none'; style-src https:",
            )
        ],
        *[
            (v, "csp-implemented-with-no-unsafe")
            for v in (
                "default-src https://mozilla.org",
                "default-src https://mozilla.org;;; ;;;script-src 'none'",
                "object-src 'none'; script-src 'strict-dynamic' 'nonce-abc' 'unsafe-inline'; "
                "style-src 'none'",
                "default-src https://mozilla.org; style-src 'unsafe-inline' 'nonce-abc123'",
            )
        ],
        *[
            (v, "csp-implemented-with-no-unsafe-default-src-none")
            for v in (
                "default-src",
                "default-src 'none'; script-src 'strict-dynamic' 'nonce-abc123' 'unsafe-inline'",
                "default-src 'none'; object-src https://mozilla.org",
                "default-src 'none'; script-src 'strict-dynamic' 'sha256-abc123' https://*",
                OUR_CSP,
            )
        ],
        (
            "default-src 'none'; report-uri /a; report-uri /b",
            "csp-implemented-but-duplicate-directives",
        ),
    ],
)
def test_csp_vectors(value, expected):
    assert csp(value) == expected


def test_csp_in_a_meta_tag_counts_and_its_frame_ancestors_only_for_x_frame_options():
    body = f'<meta http-equiv="Content-Security-Policy" content="{OUR_CSP}">'
    scanned = requests([("Content-Type", "text/html")], body=body)
    result = observatory.content_security_policy(scanned)
    assert result.result == "csp-implemented-with-no-unsafe-default-src-none"
    # As in csp.js: frame-ancestors from a meta tag is no anti-clickjacking...
    assert result.data["antiClickjacking"] is False
    # ...yet x-frame-options.js reads the combined data, meta included.
    assert observatory.x_frame_options(scanned).result == "x-frame-options-implemented-via-csp"


def test_csp_report_only_is_not_enough():
    scanned = requests([("Content-Security-Policy-Report-Only", OUR_CSP)])
    result = observatory.content_security_policy(scanned)
    assert result.result == "csp-not-implemented-but-reporting-enabled"
    assert not result.passed


@pytest.mark.parametrize(
    ("score", "grade"),
    [(135, "A+"), (100, "A+"), (99, "A"), (90, "A"), (89, "A-"), (75, "B"), (64, "C+"), (-5, "F")],
)
def test_grade_chart(score, grade):
    assert observatory.grade(score) == grade


def test_the_reviews_b_is_what_the_site_sent_before_it_had_a_csp():
    scan = observatory.analyze(requests(SECURE_HEADERS, cookies=[CSRF]))
    assert scan.tests["content-security-policy"].result == "csp-not-implemented"
    # 100 - 25; below 90, so none of the bonuses count.
    assert (scan.score, scan.grade) == (75, "B"), scan.summary()


def test_a_plus_with_the_strict_policy():
    scan = observatory.analyze(
        requests([*SECURE_HEADERS, ("Content-Security-Policy", OUR_CSP)], cookies=[CSRF])
    )
    # +10 CSP default-src 'none', +5 cookies with SameSite, +10 COOP, +5 Referrer-Policy,
    # +5 X-Frame-Options through frame-ancestors.
    assert (scan.score, scan.grade) == (135, "A+"), scan.summary()


@pytest.mark.parametrize(
    ("cookie", "expected"),
    [
        (
            Cookie("sessionid", "x", secure=True, samesite="lax"),
            "cookies-session-without-httponly-flag",
        ),
        (
            Cookie("sessionid", "x", httponly=True, samesite="lax"),
            "cookies-session-without-secure-flag-but-protected-by-hsts",
        ),
        (Cookie("csrftoken", "x", secure=True), "cookies-anticsrf-without-samesite-flag"),
        (Cookie("theme", "x", samesite="none"), "cookies-samesite-flag-invalid"),
        (Cookie("theme", "x", secure=True), "cookies-secure-with-httponly-sessions"),
        (
            Cookie("__Host-sessionid", "x", secure=True, httponly=True, samesite="lax"),
            "cookies-secure-with-httponly-sessions-and-samesite",
        ),
    ],
)
def test_cookies(cookie, expected):
    assert observatory.cookies(requests(SECURE_HEADERS, cookies=[cookie])).result == expected


def test_a_host_prefixed_cookie_that_breaks_the_prefix_is_dropped_like_tough_cookie_does():
    url = "https://mozilla.org/"
    assert observatory._parse_set_cookie("__Host-id=1; Secure; Path=/sub/", url) is None
    assert (
        observatory._parse_set_cookie("__Host-id=1; Secure; Path=/; Domain=mozilla.org", url)
        is None
    )
    assert observatory._parse_set_cookie("__Host-id=1; Path=/", url) is None
    kept, deleted = observatory._parse_set_cookie("__Host-id=1; Secure; Path=/; SameSite=Lax", url)
    assert (kept.name, kept.samesite, deleted) == ("__Host-id", "lax", False)


def test_a_malformed_samesite_costs_twenty():
    scanned = requests(
        [*SECURE_HEADERS, ("Set-Cookie", "a=1; Secure; SameSite=Loose")], cookies=[CSRF]
    )
    assert observatory.cookies(scanned).result == "cookies-samesite-flag-invalid"


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ([("http://mozilla.org/", 200)], "redirection-missing"),
        (
            [("http://mozilla.org/", 301), ("http://www.mozilla.org/", 200)],
            "redirection-not-to-https",
        ),
        (
            [
                ("http://mozilla.org/", 301),
                ("http://www.mozilla.org/", 301),
                ("https://www.mozilla.org/", 200),
            ],
            "redirection-not-to-https-on-initial-redirection",
        ),
        (
            [("http://mozilla.org/", 301), ("https://www.mozilla.org/", 200)],
            "redirection-off-host-from-http",
        ),
        ([("http://mozilla.org/", 301), ("https://mozilla.org/", 200)], "redirection-to-https"),
    ],
)
def test_redirection(route, expected):
    assert observatory.redirection(requests(SECURE_HEADERS, route=route)).result == expected


def test_a_preloaded_host_needs_no_redirect():
    scanned = requests(SECURE_HEADERS, route=[("http://mozilla.org/", 200)])
    scanned.preloaded = {"mozilla.org": {"mode": "force-https", "includeSubDomains": True}}
    assert observatory.redirection(scanned).result == "redirection-all-redirects-preloaded"
    assert observatory.strict_transport_security(scanned).result == "hsts-preloaded"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("max-age=15552000", "hsts-implemented-max-age-at-least-six-months"),
        ("max-age=86400; includeSubDomains", "hsts-implemented-max-age-less-than-six-months"),
        ("includeSubDomains", "hsts-header-invalid"),
        ("max-age=31536000, max-age=1", "hsts-header-invalid"),
    ],
)
def test_hsts(value, expected):
    scanned = requests([("Strict-Transport-Security", value)])
    assert observatory.strict_transport_security(scanned).result == expected


def test_no_https_means_no_hsts():
    scanned = requests(SECURE_HEADERS)
    scanned.https = None
    assert observatory.strict_transport_security(scanned).result == "hsts-not-implemented-no-https"


@pytest.mark.parametrize(
    ("cors", "expected"),
    [
        ([], "cross-origin-resource-sharing-not-implemented"),
        (
            [("Access-Control-Allow-Origin", "*")],
            "cross-origin-resource-sharing-implemented-with-public-access",
        ),
        (
            [
                ("Access-Control-Allow-Origin", observatory.CORS_ORIGIN),
                ("Access-Control-Allow-Credentials", "true"),
            ],
            "cross-origin-resource-sharing-implemented-with-universal-access",
        ),
        (
            [("Access-Control-Allow-Origin", "https://mozilla.org")],
            "cross-origin-resource-sharing-implemented-with-restricted-access",
        ),
    ],
)
def test_cors(cors, expected):
    assert (
        observatory.cross_origin_resource_sharing(requests(SECURE_HEADERS, cors=cors)).result
        == expected
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>no scripts</p>", "sri-not-implemented-but-no-scripts-loaded"),
        (
            '<script src="/static/a.js"></script>',
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        ),
        (
            '<script src="https://cdn.example.com/a.js"></script>',
            "sri-not-implemented-but-external-scripts-loaded-securely",
        ),
        (
            '<script src="http://cdn.example.com/a.js"></script>',
            "sri-not-implemented-and-external-scripts-not-loaded-securely",
        ),
        (
            '<script src="https://cdn.example.com/a.js" integrity="sha384-x" '
            'crossorigin="anonymous"></script>',
            "sri-implemented-and-external-scripts-loaded-securely",
        ),
        (
            '<script src="https://static.mozilla.org/a.js"></script>',
            "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        ),
    ],
)
def test_subresource_integrity(body, expected):
    scanned = requests([("Content-Type", "text/html")], body=body)
    assert observatory.subresource_integrity(scanned).result == expected


@pytest.mark.parametrize(
    ("headers", "test", "expected"),
    [
        (
            [("X-Content-Type-Options", "nosniff ")],
            "x_content_type_options",
            "x-content-type-options-nosniff",
        ),
        (
            [("X-Content-Type-Options", "no-sniff")],
            "x_content_type_options",
            "x-content-type-options-header-invalid",
        ),
        (
            [("X-Frame-Options", "ALLOW-FROM https://a")],
            "x_frame_options",
            "x-frame-options-allow-from-origin",
        ),
        ([("X-Frame-Options", "always")], "x_frame_options", "x-frame-options-header-invalid"),
        (
            [("Referrer-Policy", "no-referrer, unsafe-url")],
            "referrer_policy",
            "referrer-policy-unsafe",
        ),
        (
            [("Referrer-Policy", "unsafe-url, strict-origin")],
            "referrer_policy",
            "referrer-policy-private",
        ),
        ([("Referrer-Policy", "whatever")], "referrer_policy", "referrer-policy-header-invalid"),
        (
            [("Cross-Origin-Resource-Policy", "same-site")],
            "cross_origin_resource_policy",
            "corp-implemented-with-same-site",
        ),
        (
            [("Cross-Origin-Resource-Policy", "same")],
            "cross_origin_resource_policy",
            "corp-header-invalid",
        ),
        (
            [("Cross-Origin-Embedder-Policy", 'require-corp; report-to="e"')],
            "cross_origin_embedder_policy",
            "coep-implemented-with-require-corp",
        ),
        (
            [("Cross-Origin-Embedder-Policy", '"require-corp"')],
            "cross_origin_embedder_policy",
            "coep-header-invalid",
        ),
        (
            [
                ("Cross-Origin-Opener-Policy", "same-origin"),
                ("Cross-Origin-Opener-Policy", "unsafe-none"),
            ],
            "cross_origin_opener_policy",
            "coop-header-invalid",
        ),
        (
            [("Cross-Origin-Opener-Policy", "noopener-allow-popups")],
            "cross_origin_opener_policy",
            "coop-implemented-with-noopener-allow-popups",
        ),
    ],
)
def test_the_other_headers(headers, test, expected):
    assert getattr(observatory, test)(requests(headers)).result == expected


def test_bonuses_count_only_from_ninety():
    # No HSTS (-20): 80 before bonuses, so CSP's +10 and the rest are not added.
    headers = [h for h in SECURE_HEADERS if h[0] != "Strict-Transport-Security"]
    scan = observatory.analyze(requests([*headers, ("Content-Security-Policy", OUR_CSP)]))
    assert (scan.score, scan.grade) == (80, "B+"), scan.summary()


def test_an_error_page_cannot_be_scored():
    scanned = requests(SECURE_HEADERS)
    scanned.auto.status = 500
    with pytest.raises(ValueError, match="unexpected HTTP status code 500"):
        observatory.analyze(scanned)
