"""Evidence files: checked, sealed to the case key, stored under random names.

Refused: empty files, files over the size limit, types outside the allow-list, files
whose first bytes do not match their extension, polyglots (a document or image that
also carries HTML or script, searched in the **whole** file), and compression bombs
(.docx/.xlsx/.odt whose content unpacks to more than ``MAX_UNPACKED`` or more than
``MAX_RATIO`` times their size: no evidence needs that, and they would knock out the
reviewer's computer).

Accepted but **marked for reviewers** ("abrir solo en visor seguro"): PDFs with actions
or embedded content (``/JavaScript``, ``/JS``, ``/OpenAction``, ``/AA``, ``/Launch``,
``/EmbeddedFile``, ``/RichMedia``, ``/XFA``, ``/SubmitForm``, ``/ImportData``,
``/GoToR``, ``/GoToE``, also written with ``#xx`` escapes or inside compressed object
streams) and office documents with macros, embedded objects or external links. Such
features are common in ordinary PDFs and documents (a print dialog, an attachment, a
form), so refusing them would lose real evidence; the file stays an attachment served
as ``application/octet-stream``, never opened by the portal, and the reviewer is told
to open it in a safe viewer (a sandboxed or offline machine).

Original names are reduced to a safe base name (keeping the extension) and kept only
inside the encrypted metadata. Uploads are read by ``capped_stream_factory`` into
memory, never into a temporary file on disk (it would hold evidence in clear), at most
``max_file_size_mb`` + 1 byte per file and ``max_files`` files; the whole request body
is capped while it streams (``chunked`` included) by ``request.max_content_length``.
"""
from __future__ import annotations

import io
import os
import re
import secrets
import stat
import unicodedata
import zipfile
import zlib
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
ZIP_BASED = ("docx", "xlsx", "odt")
MAX_UNPACKED = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 10000
SAFE_VIEWER = "abrir solo en visor seguro"

# Markers of active content that make a file a polyglot (or simply dangerous to open).
# The long ones are searched in the whole file (a script past the first MiB is still a
# script); the short ones (``<svg``, ``<html``…) would turn up by chance in about one
# compressed 10 MB file in a hundred, so in binary files they are searched only where
# a sniffing program looks — the first MiB and the last 64 KiB — and everywhere in text.
_ACTIVE = re.compile(
    rb"<\s*(script|html|svg|iframe|object|embed|body|meta|link|style)\b|javascript:|"
    rb"<\?php|onerror\s*=|onload\s*=",
    re.IGNORECASE,
)
_ACTIVE_ANYWHERE = re.compile(
    rb"<\s*(script|iframe|object|embed)\b|javascript:|<\?php|onerror\s*=|onload\s*=",
    re.IGNORECASE,
)
_PDF_ACTIVE = re.compile(
    rb"/(JavaScript|JS|OpenAction|AA|Launch|EmbeddedFiles?|RichMedia|XFA|SubmitForm|"
    rb"ImportData|GoToR|GoToE)(?![A-Za-z0-9])")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.DOTALL)
_OFFICE_ACTIVE = re.compile(
    r"(^|/)(vbaProject\.bin|vbaData\.xml|activeX/|embeddings/|oleObject[^/]*\.bin)|"
    r"^(Basic|Scripts)/", re.IGNORECASE)


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
    """A base name of letters, digits, ``.``, ``_`` and ``-``, at most 100 characters,
    that keeps its extension when shortened."""
    name = str(raw or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    if len(name) > 100:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 10:
            name = stem[:99 - len(ext)].rstrip("._") + "." + ext
        else:
            name = name[:100]
    return name or "archivo"


def _pdf_warnings(data: bytes) -> list[str]:
    """Active PDF features, in plain objects and inside Flate-compressed streams."""
    found: set[str] = set()

    def scan(chunk: bytes) -> None:
        if b"#" in chunk:
            chunk = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), chunk)
        found.update(m.group(1).decode() for m in _PDF_ACTIVE.finditer(chunk))

    scan(data)
    budget = MAX_UNPACKED
    for match in _PDF_STREAM.finditer(data):
        if budget <= 0:
            break
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(match.group(1), min(budget, 16 * 1024 * 1024))
        except zlib.error:
            continue  # not Flate (images, fonts with other filters): nothing to read
        budget -= len(inflated)
        scan(inflated)
    return sorted(found)


def _zip_check(name: str, data: bytes) -> list[str]:
    """Refuse broken archives and compression bombs; return the active features found."""
    bomb = UploadError(tk._("El archivo «%s» se descomprime a un tamaño desproporcionado "
                            "(posible bomba de compresión) y fue rechazado.") % name)
    damaged = UploadError(tk._("El contenido de «%s» no corresponde a su extensión.") % name)
    limit = min(MAX_UNPACKED, max(10 * 1024 * 1024, MAX_RATIO * len(data)))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
        if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > limit:
            raise bomb
        warnings: set[str] = set()
        unpacked = 0
        for member in members:
            if _OFFICE_ACTIVE.search(member.filename):
                warnings.add(member.filename.rsplit("/", 1)[-1] or member.filename)
            # headers can lie about sizes: count what really comes out, with a cap
            with archive.open(member) as stream:
                while chunk := stream.read(1024 * 1024):
                    unpacked += len(chunk)
                    if unpacked > limit:
                        raise bomb
                    if member.filename.endswith(".rels") and b'TargetMode="External"' in chunk:
                        warnings.add("TargetMode=External")
    except UploadError:
        raise
    except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, ValueError,
            EOFError, OSError):
        raise damaged
    return sorted(warnings)


def check(filename: Any, data: bytes) -> tuple[str, str, Optional[str]]:
    """``(safe name, media type, warning or None)`` or raise ``UploadError`` (Spanish)."""
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
    if (_ACTIVE_ANYWHERE.search(data) or _ACTIVE.search(data[:1024 * 1024])
            or _ACTIVE.search(data[-65536:]) or (ext == "txt" and _ACTIVE.search(data))):
        raise UploadError(tk._("El archivo «%s» contiene código activo y fue rechazado.") % name)
    features: list[str] = []
    if ext == "pdf":
        features = _pdf_warnings(data)
    elif ext in ZIP_BASED:
        features = _zip_check(name, data)
    warning = f"{SAFE_VIEWER}: {', '.join(features)}" if features else None
    return name, media_type, warning


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


class CappedBuffer(io.BytesIO):
    """An upload held in memory up to ``limit`` bytes; the rest is counted, not kept."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.received = 0

    def write(self, data: Any) -> int:  # type: ignore[override]
        size = len(data)
        self.received += size
        room = self.limit - self.tell()
        if room > 0:
            super().write(bytes(data[:room]))
        return size


def capped_stream_factory(total_content_length: Optional[int], content_type: Optional[str],
                          filename: Optional[str] = None,
                          content_length: Optional[int] = None) -> CappedBuffer:
    """Werkzeug's ``stream_factory`` for our requests: memory, never a temporary file.

    One byte more than the limit is kept so that ``check`` can tell the file was too big;
    files beyond ``max_files`` keep nothing at all (the action refuses them anyway).
    """
    from flask import g
    per_file = tk.config.get("ckanext.limahonesta.max_file_size_mb") * 1024 * 1024 + 1
    seen = g.get("limahonesta_upload_parts", 0) + 1
    g.limahonesta_upload_parts = seen
    keep = per_file if seen <= tk.config.get("ckanext.limahonesta.max_files") else 1
    return CappedBuffer(keep)


def max_request_bytes() -> int:
    """The largest request body we read (files + 1 MiB of form)."""
    per_file = tk.config.get("ckanext.limahonesta.max_file_size_mb") * 1024 * 1024
    return tk.config.get("ckanext.limahonesta.max_files") * per_file + 1024 * 1024


def limit_request(request: Any) -> None:
    """Before anything reads the body of one of our requests: cap it while it streams
    (Content-Length or chunked), and read files into capped memory buffers.

    ``_get_file_stream`` is the Werkzeug method that makes each file's container; an
    instance attribute replaces it for this request only (test_uploads fails loudly
    if Werkzeug stops calling it).
    """
    request.max_content_length = max_request_bytes()
    request.max_form_memory_size = 1024 * 1024
    request.max_form_parts = 200
    request._get_file_stream = capped_stream_factory
