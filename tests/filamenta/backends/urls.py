"""A view that uses all three stores at once: cache, session and a rate limit."""

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django_ratelimit.decorators import ratelimit


@ratelimit(key="ip", rate="100000/m", block=True)
def visit(request: HttpRequest) -> JsonResponse:
    visits = request.session.get("visits", 0) + 1
    request.session["visits"] = visits
    cache.set("tests:last-visit", visits)
    return JsonResponse({"visits": visits, "cached": cache.get("tests:last-visit")})


urlpatterns = [path("visit", visit)]
