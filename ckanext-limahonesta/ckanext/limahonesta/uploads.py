"""Evidence files: checked, sealed to the case key, stored under random names.

Refused: empty files, files over the size limit, types outside the allow-list, files
whose first bytes do not match their extension, and polyglots (a document or image
that also carries HTML or script). Original names are reduced to a safe base name and
kept only inside the encrypted metadata. Files are only ever served to reviewers as
``application/octet-stream`` attachments, never inline.
"""
from __future__ import annotations

import os
import re
import secrets
import stat
import unicodedata
from typing import Any, Optional

import ckan.plugins.toolkit as tk

from . import crypto

# extension -> (media type, accepted leading signatures; empty = plain text)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "mp3": ("audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    "m4a": ("audio/mp4", ()),  # checked below (ftyp box)
    "mp4": ("video/mp4", ()),
    "ogg": ("audio/ogg", (b"OggS",)),
    "wav": ("audio/wav", (b"RIFF",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "txt": ("text/plain", ()),
}

# Markers of active content that make a file a polyglot (or simply dangerous to open).
_ACTIVE = re.compile(
    rb"<\s*(script|html|svg|iframe|object|embed|body|meta|link|style)\b|javascript:|"
    rb"<\?php|onerror\s*=|onload\s*=",
    re.IGNORECASE,
)


class UploadError(Exception):
    pass


def storage_dir() -> str:
    """The directory of encrypted evidence, private to the account CKAN runs as.

    Raises ``crypto.NotConfigured`` rather than falling back to a shared temporary
    directory: there another local account could create the directory first and then
    delete or swap evidence, and the system empties it on reboot or on a timer. A
    directory that another account owns or may write into is refused for the same reason.
    """
    path = tk.config.get("ckanext.limahonesta.storage_path")
    if not path and tk.config.get("ckan.storage_path"):
        path = os.path.join(tk.config["ckan.storage_path"], "limahonesta")
    if not path:
        raise crypto.NotConfigured(
            "ckanext.limahonesta.storage_path (or ckan.storage_path) must be set")
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.stat(path)
    if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise crypto.NotConfigured(
            f"{path} must belong to the account running CKAN and be writable by it alone")
    return path


def safe_name(raw: Any) -> str:
    name = str(raw or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return name[:100] or "archivo"


def check(filename: Any, data: bytes) -> tuple[str, str]:
    """Return ``(safe name, media type)`` or raise ``UploadError`` (Spanish message)."""
    name = safe_name(filename)
    limit = tk.config.get("ckanext.limahonesta.max_file_size_mb") * 1024 * 1024
    if not data:
        raise UploadError(tk._("El archivo «%s» está vacío.") % name)
    if len(data) > limit:
        raise UploadError(tk._("El archivo «%(n)s» supera el tamaño máximo de %(m)s MB.")
                          % {"n": name, "m": limit // (1024 * 1024)})
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise UploadError(tk._("El tipo de archivo de «%s» no está permitido. Use PDF, "
                               "imágenes (JPG, PNG, GIF), audio, video, DOCX, XLSX, ODT o TXT.")
                          % name)
    media_type, signatures = ALLOWED[ext]
    head = data[:16]
    if ext in ("m4a", "mp4"):
        ok = data[4:8] == b"ftyp"
    elif ext == "txt":
        try:
            data.decode("utf-8")
            ok = b"\x00" not in data
        except UnicodeDecodeError:
            ok = False
    else:
        ok = any(head.startswith(sig) for sig in signatures)
    if not ok:
        raise UploadError(tk._("El contenido de «%s» no corresponde a su extensión.") % name)
    if _ACTIVE.search(data[:1024 * 1024]) or _ACTIVE.search(data[-65536:]):
        raise UploadError(tk._("El archivo «%s» contiene código activo y fue rechazado.") % name)
    return name, media_type


def store(case_public_key: bytes, data: bytes) -> str:
    storage_name = secrets.token_hex(24)
    path = os.path.join(storage_dir(), storage_name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(crypto.seal(case_public_key, data))
    return storage_name


def read(case_key: Any, storage_name: str) -> bytes:
    if not re.fullmatch(r"[0-9a-f]{48}", storage_name):
        raise UploadError("bad name")
    with open(os.path.join(storage_dir(), storage_name), "rb") as handle:
        return crypto.unseal(case_key, handle.read())


def delete(storage_name: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{48}", storage_name):
        return
    path = os.path.join(storage_dir(), storage_name)
    try:
        size = os.path.getsize(path)
        with open(path, "r+b") as handle:  # overwrite before unlinking (best effort)
            handle.write(secrets.token_bytes(size))
            handle.flush()
            os.fsync(handle.fileno())
        os.unlink(path)
    except FileNotFoundError:
        pass


def read_uploads(files: Optional[list]) -> list[tuple[str, bytes]]:
    """Werkzeug FileStorage list -> [(filename, bytes)], ignoring empty file inputs."""
    out = []
    limit = tk.config.get("ckanext.limahonesta.max_file_size_mb") * 1024 * 1024
    for item in files or []:
        filename = getattr(item, "filename", None)
        if not filename:
            continue
        data = item.stream.read(limit + 1)
        out.append((filename, data))
    return out
