"""Where personal files (photos, accreditation letters) are kept: outside every public URL."""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage() -> FileSystemStorage:
    # A callable, so that tests (and deployments) can move the folder with settings alone.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def letter_path(instance, filename: str) -> str:
    # A random name: the file's name must not reveal whose letter it is.
    return f"letters/{uuid.uuid4().hex}.pdf"


def photo_path(instance, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower() or ".jpg"
    return f"photos/{uuid.uuid4().hex}{suffix}"
