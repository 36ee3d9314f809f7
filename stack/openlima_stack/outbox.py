"""`make run`'s outbox: an SMTP server on 127.0.0.1 that sends nothing anywhere and writes
each message it receives to ``<state>/outbox/`` as an ``.eml`` file the developer can
open (any mail program reads them; they are plain text).

CKAN (notices, digests, Lima Honesta's reporter notice, password resets) talks to it
through ``smtp.server`` like to any mail server, so what a citizen would receive can be
read without a real mail account. Only what CKAN's mailer uses of SMTP (RFC 5321) is
spoken: HELO/EHLO, MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP and QUIT.

    python -m openlima_stack.outbox --port 8025 --directory .openlima/outbox
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import os
import sys
from pathlib import Path
from typing import Optional

MAX_MESSAGE_BYTES = 30 * 1024 * 1024
_sequence = itertools.count(1)


def message_path(directory: Path) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return directory / f"{stamp}-{os.getpid()}-{next(_sequence):04d}.eml"


def write_message(directory: Path, sender: str, recipients: list[str], data: bytes) -> Path:
    """Store one message as received, with the envelope in two header lines on top."""
    directory.mkdir(parents=True, exist_ok=True)
    path = message_path(directory)
    envelope = (f"X-Outbox-From: {sender}\r\n"
                f"X-Outbox-To: {', '.join(recipients)}\r\n").encode("utf-8", "replace")
    temporary = path.with_suffix(".part")
    temporary.write_bytes(envelope + data)
    temporary.rename(path)  # a reader never sees half a message
    return path


class _Session:
    """One client connection: the envelope so far, and one method per SMTP verb."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 directory: Path):
        self.reader, self.writer, self.directory = reader, writer, directory
        self.sender: Optional[str] = None
        self.recipients: list[str] = []

    def reply(self, *lines: str) -> None:
        for line in lines:
            self.writer.write(line.encode("ascii") + b"\r\n")

    async def run(self) -> None:
        self.reply("220 openlima-outbox ESMTP (nothing leaves this machine)")
        try:
            while True:
                await self.writer.drain()
                raw = await self.reader.readline()
                if not raw:
                    return
                command, _, argument = raw.decode("utf-8", "replace").strip().partition(" ")
                handler = getattr(self, f"on_{command.lower()}", None)
                if handler is None or not command.isalpha():
                    self.reply("502 Command not implemented")
                elif await handler(argument) is False:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self.writer.close()

    async def on_ehlo(self, _argument: str) -> None:
        self.reply("250-openlima-outbox", f"250-SIZE {MAX_MESSAGE_BYTES}", "250 8BITMIME")

    async def on_helo(self, _argument: str) -> None:
        self.reply("250 openlima-outbox")

    async def on_mail(self, argument: str) -> None:
        self.sender = argument.partition(":")[2].strip().split(" ")[0].strip("<>")
        self.recipients = []
        self.reply("250 OK")

    async def on_rcpt(self, argument: str) -> None:
        if self.sender is None:
            self.reply("503 MAIL first")
            return
        self.recipients.append(argument.partition(":")[2].strip().strip("<>"))
        self.reply("250 OK")

    async def on_data(self, _argument: str) -> None:
        if not self.recipients:
            self.reply("503 RCPT first")
            return
        self.reply("354 End data with <CR><LF>.<CR><LF>")
        await self.writer.drain()
        lines, size = [], 0
        while True:
            line = await self.reader.readline()
            if not line or line in (b".\r\n", b".\n"):
                break
            size += len(line)
            lines.append(line[1:] if line.startswith(b".") else line)  # dot-unstuffing
        if size > MAX_MESSAGE_BYTES:
            self.reply("552 Message too large")
        else:
            path = write_message(self.directory, self.sender or "", self.recipients, b"".join(lines))
            print(f"outbox: {', '.join(self.recipients)} -> {path}", flush=True)
            self.reply("250 OK")
        self.sender, self.recipients = None, []

    async def on_rset(self, _argument: str) -> None:
        self.sender, self.recipients = None, []
        self.reply("250 OK")

    async def on_noop(self, _argument: str) -> None:
        self.reply("250 OK")

    async def on_quit(self, _argument: str) -> bool:
        self.reply("221 Bye")
        await self.writer.drain()
        return False


async def serve(host: str, port: int, directory: Path) -> None:
    server = await asyncio.start_server(lambda r, w: _Session(r, w, directory).run(), host, port)
    async with server:
        await server.serve_forever()


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="openlima-outbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--directory", type=Path, required=True)
    args = parser.parse_args(argv)
    args.directory.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(serve(args.host, args.port, args.directory))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
