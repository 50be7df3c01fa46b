"""The portal's addresses plus the floor: a minimal Django view rendering a 2 KB template."""

from django.shortcuts import render
from django.urls import path

from portal.urls import handler403, handler404, handler500, urlpatterns as portal_urlpatterns  # noqa: F401


def floor(request):
    """What every page costs at least: the middleware, a template of about 2 KB, the response."""
    return render(request, "bench/floor.html", {"title": "Floor"})


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *portal_urlpatterns]
