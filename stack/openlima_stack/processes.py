"""The long-running processes of a portal, started together and stopped together.

``make run`` runs CKAN's web server and CKAN's jobs worker (``ckan jobs worker``: DataStore
loading, link checks, harvests, mail...) side by side; ``make prod`` and a scheduler add
theirs the same way::

    group = ProcessGroup()
    group.start("tareas", [ckan, "-c", ini, "jobs", "worker"], prefix="[tareas] ")
    group.start("web", [ckan, "-c", ini, "run", ...])
    group.start("carga", [...], oneshot=True)   # ends by itself; not waited for
    name, code = group.wait_any()      # returns when any long-running one ends
    group.stop_all()                   # newest first; Ctrl-C, then SIGTERM, then SIGKILL

Each child runs in its own session (process group): Ctrl-C in the terminal reaches only
the stack, which then stops the children in order, and everything a child spawned (RQ's
work horses, the reloader's child) goes with it. A child given a ``prefix`` has its output
copied line by line to ours with that prefix, so the terminal says who printed what.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, TextIO


@dataclass
class ManagedProcess:
    name: str
    popen: subprocess.Popen
    relay: Optional[threading.Thread] = field(default=None, repr=False)
    # a task that ends by itself (e.g. loading the demo's rows); wait_any ignores it
    oneshot: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None


def stop_process_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a child started in its own session, and everything it spawned."""
    if process.poll() is not None:
        return
    for signum, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _relay_lines(stream: TextIO, prefix: str, out: TextIO) -> None:
    for line in stream:
        out.write(prefix + line if line.strip() else line)
        out.flush()
    stream.close()


class ProcessGroup:
    """Named child processes; see the module docstring."""

    def __init__(self, out: Optional[TextIO] = None):
        self.out = out or sys.stdout
        self.processes: list[ManagedProcess] = []

    def start(self, name: str, command: Sequence[str], *, prefix: Optional[str] = None,
              env: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None,
              oneshot: bool = False) -> ManagedProcess:
        if any(process.name == name for process in self.processes):
            raise ValueError(f"ya hay un proceso llamado {name!r}")
        options: dict = dict(start_new_session=True, cwd=cwd,
                             env=dict(env) if env is not None else None)
        if prefix is not None:
            options.update(stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           bufsize=1, errors="replace")
        popen = subprocess.Popen(list(command), **options)
        managed = ManagedProcess(name, popen, oneshot=oneshot)
        if prefix is not None:
            assert popen.stdout is not None
            managed.relay = threading.Thread(
                target=_relay_lines, args=(popen.stdout, prefix, self.out),
                name=f"relay-{name}", daemon=True,
            )
            managed.relay.start()
        self.processes.append(managed)
        return managed

    def get(self, name: str) -> ManagedProcess:
        for process in self.processes:
            if process.name == name:
                return process
        raise KeyError(name)

    def wait_any(self, poll_interval: float = 0.2,
                 timeout: Optional[float] = None) -> Optional[tuple[str, int]]:
        """(name, exit code) of the first long-running child that ends (one-shot tasks
        are not waited for); None after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            for process in self.processes:
                if process.oneshot:
                    continue
                code = process.popen.poll()
                if code is not None:
                    return process.name, code
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(poll_interval)

    def stop_all(self, grace: float = 10.0) -> None:
        """Stop every child, the most recently started first (web before worker)."""
        for process in reversed(self.processes):
            stop_process_group(process.popen, grace)
            if process.relay is not None:
                process.relay.join(timeout=5)
