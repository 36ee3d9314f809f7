"""`make run`'s outbox (stack/openlima_stack/outbox.py): CKAN's mailer talks to it as to
any SMTP server and every message lands, whole, as an .eml file; nothing is sent."""
from __future__ import annotations

import email
import email.policy
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from openlima_stack import config


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def outbox(tmp_path):
    port = _free_port()
    directory = tmp_path / "outbox"
    process = subprocess.Popen([sys.executable, "-m", "openlima_stack.outbox", "--port", str(port),
                                "--directory", str(directory)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the outbox did not start"
            time.sleep(0.05)
    yield port, directory
    process.terminate()
    process.wait(timeout=10)


def test_every_message_lands_whole_as_an_eml_file(outbox):
    port, directory = outbox
    message = EmailMessage()
    message["From"] = "Open Lima <no-responder@localhost>"
    message["To"] = "vecina@example.pe"
    message["Subject"] = "Su propuesta recibió una respuesta — Miraflores"
    body = "Hola:\n.una línea que empieza con punto\n\nÑandú, ciclovía y participación.\n"
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)
        client.send_message(message, to_addrs=["otra@example.pe", "tercera@example.pe"])
    files = sorted(directory.glob("*.eml"))
    assert len(files) == 2
    first = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert first["Subject"] == "Su propuesta recibió una respuesta — Miraflores"
    assert first["X-Outbox-To"] == "vecina@example.pe"
    assert first.get_content().replace("\r\n", "\n") == body  # dot-unstuffed, accents intact
    second = email.message_from_bytes(files[1].read_bytes(), policy=email.policy.default)
    assert second["X-Outbox-To"] == "otra@example.pe, tercera@example.pe"
    assert not list(directory.glob("*.part"))


def test_out_of_order_commands_are_refused_and_store_nothing(outbox):
    port, directory = outbox
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        assert client.docmd("RCPT", "TO:<x@example.pe>")[0] == 503
        assert client.docmd("DATA")[0] == 503
        assert client.docmd("VRFY", "x")[0] == 502
    assert not directory.exists() or not list(directory.iterdir())


def test_make_run_sends_the_portals_mail_to_the_outbox(tmp_path):
    settings = config.development_settings(
        secrets_={"SECRET_KEY": "k", "JWT_SECRET": "j", "LIMAHONESTA_PEPPER": "p", "LIMAACTIVA_DNI_HMAC_KEY": "d"},
        database_url="postgresql://x/y", redis_url="redis://x/0", port=5000,
        storage_path=Path(tmp_path), environ={}, outbox_port=8026)
    assert settings["smtp.server"] == "127.0.0.1:8026"
    assert settings["smtp.mail_from"] == "no-responder@localhost"  # CKAN writes "<title> <address>"
    assert "smtp.server" not in config.development_settings(
        secrets_={"SECRET_KEY": "k", "JWT_SECRET": "j", "LIMAHONESTA_PEPPER": "p", "LIMAACTIVA_DNI_HMAC_KEY": "d"},
        database_url="postgresql://x/y", redis_url="redis://x/0", port=5000,
        storage_path=Path(tmp_path), environ={})
