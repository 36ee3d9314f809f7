"""A bound on concurrent Argon2id work, across every web process of this host.

Each Argon2id run holds ``kdf_memlimit_mib`` (128 MiB by default) for about a third of a
second; twelve concurrent code checks on a threaded server once added 1.5 GiB. Every
run therefore takes one of ``kdf_concurrency`` slots first: an exclusive ``flock`` on
one of that many files in a directory private to CKAN's account (beside the evidence
storage directory: ``<storage>-kdf-slots``), which every process of the host shares and
the kernel releases if a process dies; inside a process a semaphore does the same for
threads. A run that finds no free slot within ``kdf_wait_ms`` raises ``Busy`` and the
request is answered 503 with ``Retry-After`` — nothing waits longer than that, so a flood
of checks cannot hold the workers, and memory stays below slots × memlimit.

Fairness: while a client has failed code checks in the window it is *suspect*: it may
use every slot but the last, which stays for everybody else (submissions, reviewers,
reporters without failures), so a crowd of guessers cannot keep a right code waiting;
and it never waits for a slot (503 at once), so guessers queued behind one another
cannot hold the web workers that the portal's other pages need.

Without a private storage directory the bound is per process only (logged once).
"""
from __future__ import annotations

import contextlib
import contextvars
import fcntl
import logging
import os
import random
import stat
import threading
import time
from typing import Iterator, Optional

import ckan.plugins.toolkit as tk

log = logging.getLogger(__name__)

SLOT_SUFFIX = "-kdf-slots"
_suspect: contextvars.ContextVar[bool] = contextvars.ContextVar("limahonesta_kdf_suspect",
                                                                default=False)
_semaphores: dict[int, threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()
_warned = False


class Busy(Exception):
    """Every Argon2id slot stayed taken for ``kdf_wait_ms``: try again in a moment."""


def concurrency() -> int:
    return max(1, tk.config.get("ckanext.limahonesta.kdf_concurrency"))


def _semaphore(size: int) -> threading.BoundedSemaphore:
    with _semaphores_lock:
        if size not in _semaphores:
            _semaphores[size] = threading.BoundedSemaphore(size)
        return _semaphores[size]


def slot_directory(size: int) -> Optional[str]:
    """``<evidence storage>-kdf-slots`` with its ``size`` slot files, private to CKAN's
    account like the evidence directory beside it (another account could otherwise
    create it first and hold every slot), or ``None``."""
    global _warned
    from . import crypto, uploads
    try:
        path = os.path.normpath(uploads.storage_dir()) + SLOT_SUFFIX
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.stat(path)
        if info.st_uid != os.geteuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise crypto.NotConfigured(f"{path} must be private to CKAN's account")
        for index in range(size):
            slot_file = os.path.join(path, f"slot-{index}")
            if not os.path.exists(slot_file):
                os.close(os.open(slot_file, os.O_RDWR | os.O_CREAT, 0o600))
    except (crypto.NotConfigured, OSError) as error:
        if not _warned:
            _warned = True
            log.warning("limahonesta: sin directorio privado para limitar Argon2id entre "
                        "procesos (%s); el límite queda por proceso", type(error).__name__)
        return None
    return path


@contextlib.contextmanager
def for_suspect_client(suspect: bool) -> Iterator[None]:
    """Argon2id runs inside this block leave the last slot to others if ``suspect``."""
    token = _suspect.set(suspect)
    try:
        yield
    finally:
        _suspect.reset(token)


def _try_file_slot(directory: str, size: int) -> Optional[int]:
    usable = size - 1 if _suspect.get() and size > 1 else size
    for index in random.sample(range(usable), usable):
        fd = os.open(os.path.join(directory, f"slot-{index}"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return fd
    return None


@contextlib.contextmanager
def slot() -> Iterator[None]:
    """Hold one Argon2id slot for the duration of the block, or raise ``Busy``."""
    size = concurrency()
    wait = 0.0 if _suspect.get() else max(0, tk.config.get("ckanext.limahonesta.kdf_wait_ms")) / 1000.0
    deadline = time.monotonic() + wait
    semaphore = _semaphore(size)
    if not semaphore.acquire(timeout=wait):
        raise Busy()
    fd: Optional[int] = None
    try:
        directory = slot_directory(size)
        if directory is not None:
            # polling a lock with a deadline: the wait is bounded by kdf_wait_ms
            while (fd := _try_file_slot(directory, size)) is None:
                if time.monotonic() >= deadline:
                    raise Busy()
                time.sleep(random.uniform(0.005, 0.02))
        yield
    finally:
        if fd is not None:
            os.close(fd)  # releases the flock
        semaphore.release()
