"""CSU import and export (being built)."""
from django.http import Http404


def export_directory(request, file_format):
    raise Http404


def import_upload(request):
    raise Http404


def import_preview(request, token):
    raise Http404
