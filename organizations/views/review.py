"""CSU review pages (being built)."""
from django.http import Http404


def review_queue(request):
    raise Http404


def duplicate_list(request):
    raise Http404


def merge(request, keep, duplicate):
    raise Http404


def decide_change(request, change_id):
    raise Http404


def decide_verification(request, slug):
    raise Http404
