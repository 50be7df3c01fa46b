"""Focal points' pages (being built)."""
from django.http import Http404


def register_organization(request):
    raise Http404


def edit_organization(request, slug):
    raise Http404


def join_organization(request, slug):
    raise Http404


def members(request, slug):
    raise Http404
