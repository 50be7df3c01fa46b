"""The public directory and organization pages (being built)."""
from django.http import Http404


def organization_list(request):
    raise Http404


def organization_detail(request, slug):
    raise Http404
