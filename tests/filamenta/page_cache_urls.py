"""Views for tests/filamenta/test_page_cache_middleware.py, beside the product's URLs."""

import functools

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from filamenta.caching import cached_page

# How many times each view below rendered.
RENDERS: dict[str, int] = {}


def _rendered(name: str) -> None:
    RENDERS[name] = RENDERS.get(name, 0) + 1


def outer_header(view):
    """A decorator outside @cached_page, as login_required or a rate limit would be."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["X-Outer"] = "ran"
        return response

    return wrapper


@cached_page(timeout=300)
def plain(request: HttpRequest) -> HttpResponse:
    _rendered("plain")
    return HttpResponse("<p>plain</p>")


@outer_header
@cached_page(timeout=300)
def wrapped(request: HttpRequest) -> HttpResponse:
    _rendered("wrapped")
    return HttpResponse("<p>wrapped</p>")


@cached_page(timeout=300)
def with_form(request: HttpRequest) -> HttpResponse:
    # {% csrf_token %}: CsrfViewMiddleware sets its cookie after the view returned.
    _rendered("with_form")
    template = engines["django"].from_string("<form>{% csrf_token %}</form>")
    return HttpResponse(template.render({}, request))


@cached_page(timeout=300)
def with_nonce(request: HttpRequest) -> HttpResponse:
    _rendered("with_nonce")
    return HttpResponse(f'<style nonce="{request.csp_nonce}"></style>')


urlpatterns = [
    path("t/plain/", plain),
    path("t/wrapped/", wrapped),
    path("t/form/", with_form),
    path("t/nonce/", with_nonce),
    path("", include("filamenta.urls")),
]
