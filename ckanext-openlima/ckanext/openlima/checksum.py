"""The SHA-256 of every uploaded file, stored as the resource's ``hash`` (DCAT
``spdx:checksum``), so whoever downloads it can check they got the file the office
published. Computed from the upload itself, before CKAN stores it; a checksum typed
in the form for an uploaded file is replaced by the file's own."""
from __future__ import annotations

import hashlib
from typing import Any

from werkzeug.datastructures import FileStorage

__all__ = ["add_upload_checksum"]

CHUNK = 1024 * 1024


def add_upload_checksum(resource: dict[str, Any]) -> None:
    """Set ``hash``/``hash_algorithm`` of a resource dict that carries a new upload
    (``resource["upload"]``, a file from a form or a multipart API call)."""
    upload = resource.get("upload")
    if not isinstance(upload, FileStorage) or not upload.filename:
        return
    stream = upload.stream
    start = stream.tell()
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
    stream.seek(start)
    resource["hash"] = digest.hexdigest()
    resource["hash_algorithm"] = "sha256"
