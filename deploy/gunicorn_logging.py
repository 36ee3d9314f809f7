"""Gunicorn's access log without Lima Honesta's reporter routes.

The entrypoint runs gunicorn with ``--logger-class gunicorn_logging.LimaHonestaLogger``
(``--chdir deploy``): every other request is logged as gunicorn always does, but
nothing is written for a whistleblower's request — not its address (already
``0.0.0.0``), nor its path, time or size. Which requests those are is decided by the
application, bound to the route it matched: Lima Honesta's middleware marks their WSGI
environ (``limahonesta.zone`` = ``reporter``) for ``/denuncias`` under any spelling and
for the reporter API actions; gunicorn hands the same environ to ``access``.

CKAN's config loader applies the ini's logging sections with ``fileConfig``, which
disables every logger that already exists — gunicorn's access logger included, so
``--access-logfile`` silently wrote nothing. This class turns it back on (it is only
ever asked to log when gunicorn was told to keep an access log).
"""
from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

ZONE_KEY, REPORTER = "limahonesta.zone", "reporter"


class LimaHonestaLogger(Logger):
    def access(self, resp: Any, req: Any, environ: dict, request_time: Any) -> None:
        if environ.get(ZONE_KEY) == REPORTER:
            return
        self.access_log.disabled = False
        super().access(resp, req, environ, request_time)
