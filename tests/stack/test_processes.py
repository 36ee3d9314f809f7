"""The process group behind `make run`: web server and jobs worker start together, the
first one to end is reported, and stopping leaves no child (nor grandchild) behind."""
from __future__ import annotations

import io
import signal
import sys
import time

import pytest

from openlima_stack.processes import ProcessGroup
from openlima_stack.services import pid_alive, wait_until

pytestmark = pytest.mark.stack

# A child that starts a grandchild (as RQ forks a work horse), says so, and waits.
PARENT_WITH_GRANDCHILD = (
    "import subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "print('nieto', child.pid, flush=True)\n"
    "time.sleep(600)\n"
)


def test_stop_all_ends_children_and_what_they_spawned():
    out = io.StringIO()
    group = ProcessGroup(out=out)
    worker = group.start("tareas", [sys.executable, "-c", PARENT_WITH_GRANDCHILD],
                         prefix="[tareas] ")
    web = group.start("web", [sys.executable, "-c", "import time; time.sleep(600)"])
    assert wait_until(lambda: "nieto" in out.getvalue(), 20)
    grandchild = int(out.getvalue().split("nieto", 1)[1].split()[0])
    assert pid_alive(grandchild) and worker.running() and web.running()
    # nobody has ended yet
    assert group.wait_any(timeout=0.5) is None

    group.stop_all(grace=5)
    assert not worker.running() and not web.running()
    assert wait_until(lambda: not pid_alive(grandchild), 10)


def test_the_first_child_to_end_is_reported_with_its_code_and_output_is_prefixed():
    out = io.StringIO()
    group = ProcessGroup(out=out)
    group.start("web", [sys.executable, "-c", "import time; time.sleep(600)"])
    group.start("tareas", [sys.executable, "-c", "print('hola'); raise SystemExit(3)"],
                prefix="    [tareas] ")
    try:
        assert group.wait_any(timeout=30) == ("tareas", 3)
    finally:
        group.stop_all(grace=5)
    assert "    [tareas] hola\n" in out.getvalue()
    with pytest.raises(ValueError):
        group.start("web", [sys.executable, "-c", "pass"])


def test_a_child_ignoring_ctrl_c_is_terminated():
    group = ProcessGroup()
    stubborn = group.start("terco", [
        sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(600)",
    ])
    time.sleep(0.5)  # let it install its handler
    group.stop_all(grace=1)
    assert not stubborn.running()
    assert stubborn.popen.returncode == -signal.SIGTERM
