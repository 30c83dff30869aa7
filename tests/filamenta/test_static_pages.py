"""filamenta.static_pages: the copies Apache serves on cPanel, with real files."""

import os
import stat
import threading

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from filamenta import static_pages


@pytest.fixture
def pages(settings, tmp_path):
    folder = tmp_path / "public" / "_pages"
    settings.STATIC_PAGES_DIR = str(folder)
    settings.STATIC_PAGES_MAX = 5000
    static_pages._count = None
    static_pages._writes_since_count = 0
    old = os.umask(0o077)  # the site's own umask
    try:
        with translation.override("en"):
            yield folder
    finally:
        os.umask(old)
        static_pages._count = None


def page(body: str = "<p>hello</p>", **headers: str) -> HttpResponse:
    response = HttpResponse(
        body, content_type=headers.pop("content_type", "text/html; charset=utf-8")
    )
    for name, value in headers.items():
        response[name] = value
    return response


def write(path: str, response: HttpResponse | None = None, *, method: str = "GET", still=True):
    request = getattr(RequestFactory(), method.lower())(path)
    static_pages.static_page_write(
        request=request, response=response or page(), still_current=lambda: still
    )


def test_a_page_is_written_under_its_language_and_path_readable_by_apache(pages):
    write("/articles/first/", page("<h1>First</h1>"))
    target = pages / "en" / "articles" / "first" / "index.html"
    assert target.read_text() == "<h1>First</h1>"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    for folder in (pages, pages / "en", pages / "en" / "articles", target.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o711, folder
    # No temporary file left beside it.
    assert sorted(p.name for p in target.parent.iterdir()) == ["index.html"]


def test_the_home_page_and_french(pages):
    write("/")
    with translation.override("fr"):
        write("/articles/", page("<p>bonjour</p>"))
    assert (pages / "en" / "index.html").exists()
    assert (pages / "fr" / "articles" / "index.html").read_text() == "<p>bonjour</p>"


def test_a_language_the_rules_do_not_know_is_not_written(pages):
    with translation.override("de"):
        write("/articles/")
    assert not pages.exists()


@pytest.mark.parametrize(
    "path",
    ["/articles/x", "/articles/../etc/", "/a/./b/", "/a//b/", "/a\x00b/", "/a%2fb/", "/a\\b/"],
)
def test_paths_that_are_not_plain_pages_are_refused(pages, path):
    assert static_pages.page_relative_path(path) is None
    if "%" not in path:  # a client's %2f reaches Django decoded: another path
        write(path)
    assert not pages.exists()


def test_query_strings_and_other_methods_are_refused(pages):
    write("/articles/?page=2")
    write("/articles/", method="HEAD")
    write("/articles/", method="POST")
    assert not pages.exists()


@pytest.mark.parametrize(
    "response",
    [
        page(content_type="application/rss+xml"),
        page(content_type="text/plain"),
        HttpResponse("<p>gone</p>", status=404),
        HttpResponse("<p>moved</p>", status=301),
    ],
)
def test_only_html_200_answers_are_written(pages, response):
    write("/feed/", response)
    assert not pages.exists()


def test_an_answer_setting_a_cookie_is_not_written(pages):
    response = page()
    response.set_cookie("csrftoken", "x")
    write("/articles/", response)
    assert not pages.exists()


def test_a_purge_between_the_render_and_the_check_leaves_no_file(pages):
    target = pages / "en" / "articles" / "x" / "index.html"

    def purged_meanwhile() -> bool:
        assert target.exists()  # renamed into place before the check
        static_pages.static_pages_purge()
        return False

    static_pages.static_page_write(
        request=RequestFactory().get("/articles/x/"),
        response=page(),
        still_current=purged_meanwhile,
    )
    assert not target.exists()


def test_an_old_render_is_unlinked_when_no_longer_current(pages):
    write("/articles/x/", still=False)
    assert not (pages / "en" / "articles" / "x" / "index.html").exists()


def test_purge_removes_every_language_and_a_later_write_recreates_them(pages):
    write("/articles/a/")
    with translation.override("fr"):
        write("/articles/b/")
    (pages / ".htaccess").write_text("kept")
    static_pages.static_pages_purge()
    assert sorted(p.name for p in pages.iterdir()) == [".htaccess"]
    write("/articles/a/", page("<p>new</p>"))
    assert (pages / "en" / "articles" / "a" / "index.html").read_text() == "<p>new</p>"


def test_purge_cleans_what_an_interrupted_purge_left(pages):
    write("/articles/a/")
    leftover = pages / ".purged-en-old"
    (leftover / "en").mkdir(parents=True)
    static_pages.static_pages_purge()
    assert not leftover.exists()


def test_past_the_maximum_no_new_file_but_existing_ones_are_rewritten(pages, settings):
    settings.STATIC_PAGES_MAX = 3
    for n in range(5):
        write(f"/articles/{n}/")
    written = sorted(p.parent.name for p in pages.rglob("index.html"))
    assert written == ["0", "1", "2"]
    write("/articles/1/", page("<p>newer</p>"))  # a page already there is still renewed
    assert (pages / "en" / "articles" / "1" / "index.html").read_text() == "<p>newer</p>"
    # After a purge there is room again.
    static_pages.static_pages_purge()
    write("/articles/4/")
    assert (pages / "en" / "articles" / "4" / "index.html").exists()


def test_the_count_sees_other_processes_files_at_the_recount(pages, settings, monkeypatch):
    settings.STATIC_PAGES_MAX = 2
    monkeypatch.setattr(static_pages, "RECOUNT_EVERY", 1)
    write("/articles/a/")
    (pages / "en" / "articles" / "other").mkdir(parents=True)
    (pages / "en" / "articles" / "other" / "index.html").write_text("another process")
    write("/articles/b/")
    assert not (pages / "en" / "articles" / "b" / "index.html").exists()


def test_never_raises_when_the_folder_cannot_be_written(pages, caplog):
    pages.parent.mkdir(parents=True)
    pages.write_text("a file where the folder should be")
    write("/articles/a/")
    assert "not written" in caplog.text
    static_pages.static_pages_purge()  # nothing to purge, nothing raised


def test_off_when_the_setting_is_empty(settings, tmp_path):
    settings.STATIC_PAGES_DIR = ""
    write("/articles/a/")
    static_pages.static_pages_purge()
    assert list(tmp_path.iterdir()) == []


def test_concurrent_writes_of_one_page_leave_one_whole_file(pages):
    bodies = [f"<p>{'x' * 50_000}{n}</p>" for n in range(8)]
    threads = [threading.Thread(target=write, args=("/articles/same/", page(b))) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    target = pages / "en" / "articles" / "same" / "index.html"
    assert target.read_text() in bodies
    assert sorted(p.name for p in target.parent.iterdir()) == ["index.html"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"STATIC_PAGES_DIR": "relative/_pages"}, "STATIC_PAGES_DIR"),
        ({"STATIC_PAGES_MAX": "lots"}, "STATIC_PAGES_MAX"),
        ({"STATIC_PAGES_MAX": "0"}, "STATIC_PAGES_MAX"),
    ],
)
def test_bad_values_stop_start_up_naming_the_variable(monkeypatch, env, message):
    import environ
    from django.core.exceptions import ImproperlyConfigured

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        static_pages.static_pages_settings(environ.Env())


def test_concurrent_purges_leave_nothing_and_never_raise(pages):
    for n in range(20):
        write(f"/articles/{n}/")
    threads = [threading.Thread(target=static_pages.static_pages_purge) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert list(pages.iterdir()) == []
