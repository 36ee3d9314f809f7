"""Evidence uploads under attack (#12): limits enforced while the body streams (chunked
included, memory bounded whatever the body size), compression bombs refused, active
PDF and office content accepted but marked "abrir solo en visor seguro" for reviewers,
scripts found anywhere in a file, long names keep their extension."""
from __future__ import annotations

import gc
import http.client
import inspect
import io
import os
import threading
import tracemalloc
import zipfile
import zlib

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from werkzeug.serving import make_server

import ckan.model as model

from .conftest import case_id_by_number, submit_report, text_of

pytestmark = pytest.mark.usefixtures("with_plugins", "honesta_db", "clean_redis")

MiB = 1024 * 1024
PDF_HEAD = b"%PDF-1.7\n"
PDF_TAIL = b"\ntrailer<<>>\n%%EOF\n"


def count(table: str) -> int:
    return model.Session.execute(sa.text(f"select count(*) from {table}")).scalar()


def docx(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"<w:document>Contrato</w:document>")
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(unpacked: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            zeros = b"\0" * MiB
            for _ in range(unpacked // MiB):
                member.write(zeros)
    return buffer.getvalue()


def staff_file_lines(reviewer, number: str) -> dict[str, str]:
    page = reviewer.app.get(f"/integridad/caso/{case_id_by_number(number)}")
    items = BeautifulSoup(page.body, "html.parser").select("a[download]")
    return {a.get_text(strip=True): a.parent.get_text(" ", strip=True) for a in items}


def test_compression_bombs_and_broken_archives_are_refused(app):
    bomb = zip_bomb(150 * MiB)
    assert len(bomb) < MiB  # fits under the (test) 1 MiB limit: only unpacking betrays it
    for name, content, message in (
            ("contrato.docx", bomb, "bomba de compresión"),
            ("planilla.xlsx", bomb, "bomba de compresión"),
            ("roto.odt", b"PK\x03\x04" + os.urandom(2000), "no corresponde")):
        response, _n, _c = submit_report(app, status=400, files=[(io.BytesIO(content), name)])
        assert message in text_of(response.body, "error-evidencias"), name
    assert count("limahonesta_case") == 0 and count("limahonesta_attachment") == 0


def test_active_pdfs_and_office_documents_are_kept_but_marked_for_reviewers(
        app, make_reviewer):
    reviewer = make_reviewer()
    hidden = zlib.compress(b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>")
    files = {
        "accion.pdf": PDF_HEAD + b"1 0 obj<< /OpenAction 2 0 R >>endobj\n"
                      b"2 0 obj<< /S /JavaScript /JS (app.alert(1)) >>endobj" + PDF_TAIL,
        "escapado.pdf": PDF_HEAD + b"1 0 obj<< /S /J#61vaScript /JS (x) >>endobj" + PDF_TAIL,
        "comprimido.pdf": PDF_HEAD + b"1 0 obj<< /Type /ObjStm /Filter /FlateDecode >>\n"
                          b"stream\n" + hidden + b"\nendstream\nendobj" + PDF_TAIL,
        "adjunto.pdf": PDF_HEAD + b"1 0 obj<< /EmbeddedFiles 2 0 R /Launch 3 0 R >>endobj"
                       + PDF_TAIL,
        "macros.docx": docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}),
        "externo.docx": docx(**{"word/_rels/document.xml.rels": (
            b'<Relationships><Relationship Target="http://203.0.113.5/t.dotm" '
            b'TargetMode="External"/></Relationships>')}),
        "normal.pdf": PDF_HEAD + b"1 0 obj<< /Type /Catalog >>endobj" + PDF_TAIL,
        "normal.docx": docx(),
    }
    numbers = []
    items = list(files.items())
    for start in range(0, len(items), 4):  # at most 5 files per report
        batch = [(io.BytesIO(data), name) for name, data in items[start:start + 4]]
        _r, number, _c = submit_report(app, files=batch)
        numbers.append(number)
    lines: dict[str, str] = {}
    for number in numbers:
        lines.update(staff_file_lines(reviewer, number))
    assert set(lines) == set(files)
    for name in ("accion.pdf", "escapado.pdf", "comprimido.pdf", "adjunto.pdf",
                 "macros.docx", "externo.docx"):
        assert "Abrir solo en visor seguro" in lines[name], (name, lines[name])
    assert "JavaScript" in lines["comprimido.pdf"] and "OpenAction" in lines["accion.pdf"]
    assert "vbaProject.bin" in lines["macros.docx"]
    assert "External" in lines["externo.docx"]
    for name in ("normal.pdf", "normal.docx"):
        assert "visor seguro" not in lines[name], name


def test_a_script_anywhere_in_the_file_is_refused(app, monkeypatch, ckan_config):
    monkeypatch.setitem(ckan_config, "ckanext.limahonesta.max_file_size_mb", 3)
    padding = b"0" * (3 * MiB // 2)
    late_script = PDF_HEAD + padding + b"<script>alert(1)</script>" + padding[:300000] + PDF_TAIL
    response, _n, _c = submit_report(app, status=400,
                                     files=[(io.BytesIO(late_script), "informe.pdf")])
    assert "código activo" in text_of(response.body, "error-evidencias")
    assert count("limahonesta_attachment") == 0


def test_a_long_name_keeps_its_extension(app, make_reviewer):
    reviewer = make_reviewer()
    long_name = "informe de la auditoria " * 8 + "final.pdf"
    _r, number, _c = submit_report(app, files=[(io.BytesIO(PDF_HEAD + PDF_TAIL), long_name)])
    (shown,) = staff_file_lines(reviewer, number)
    assert shown.startswith("informe_de_la_auditoria_") and shown.endswith(".pdf")
    assert len(shown) <= 100


def test_form_parsing_still_goes_through_the_capped_stream_factory():
    # uploads.limit_request replaces Werkzeug's per-request _get_file_stream: fail loudly
    # if Werkzeug stops making file containers through it
    from werkzeug.wrappers import Request
    assert "self._get_file_stream" in inspect.getsource(Request.make_form_data_parser)


def send_chunked(port: int, path: str, parts: int, part_size: int):
    """A multipart body of ``parts`` files, sent with Transfer-Encoding: chunked."""
    boundary = "limite-lh"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.putrequest("POST", path)
    connection.putheader("Transfer-Encoding", "chunked")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.endheaders()
    block = b"%PDF-" + b"7" * (64 * 1024 - 5)

    def chunk(data: bytes) -> None:
        connection.send(b"%x\r\n%s\r\n" % (len(data), data))

    try:
        for index in range(parts):
            chunk((f"--{boundary}\r\nContent-Disposition: form-data; name=\"evidencias\"; "
                   f"filename=\"p{index}.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode())
            for _ in range(part_size // len(block)):
                chunk(block)
            chunk(b"\r\n")
        chunk(f"--{boundary}--\r\n".encode())
        connection.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped reading at the cap, as it should
    try:
        response = connection.getresponse()
        return response.status, response.read()
    except (ConnectionResetError, http.client.RemoteDisconnected):
        return None, b""
    finally:
        connection.close()


class PeakOfTheApplication:
    """WSGI wrapper: the peak of Python memory while CKAN handles one request, measured
    when the answer starts — not the development server's own draining of an unread
    body afterwards (it reads leftovers 10 MB at a time; gunicorn and nginx do not)."""

    def __init__(self, app):
        self.app, self.peaks = app, []

    def __call__(self, environ, start_response):
        gc.collect()  # the previous request's garbage must not lower this one's peak
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]

        def measured(status, headers, exc_info=None):
            self.peaks.append(tracemalloc.get_traced_memory()[1] - baseline)
            return start_response(status, headers, exc_info)

        return self.app(environ, measured)


def test_chunked_uploads_are_capped_while_streaming_and_memory_stays_bounded(app):
    cap = 6 * MiB  # 5 files × 1 MiB (test limit) + 1 MiB of form
    measured = PeakOfTheApplication(app.app)
    server = make_server("127.0.0.1", 0, measured, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    tracemalloc.start()
    try:
        send_chunked(server.server_port, "/denuncias/nueva", parts=8, part_size=MiB)  # warm
        answers = [send_chunked(server.server_port, "/denuncias/nueva", parts=parts,
                                part_size=MiB) for parts in (8, 32)]
    finally:
        tracemalloc.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    small, large = measured.peaks[-2:]
    # 8 MiB or 32 MiB sent: what CKAN holds is bounded by the cap, not by the body
    assert large - small < 2 * MiB, (small, large)
    assert large < cap + 3 * MiB, large
    for status, body in answers:
        assert status in (413, None), (status, body[:300])
        if status == 413:
            assert "Envío demasiado grande" in body.decode("utf-8", "replace")
    assert count("limahonesta_case") == 0
