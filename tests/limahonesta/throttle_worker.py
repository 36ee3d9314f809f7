"""A second CKAN web process for test_throttle.py, driven one JSON line at a time.

``python throttle_worker.py INI`` loads the same CKAN app as the tests (database and Redis
come from the same ``CKAN_*`` environment), then answers each command read on stdin with
one JSON line on stdout:

* ``{"op": "configure", "settings": {...}}``: the test's ``ckanext.limahonesta.*`` options;
* ``{"op": "reset"}``: forget this process's counters;
* ``{"op": "guess", "codes": [...]}``: wrong codes through the real tracking page;
  answers the HTTP statuses;
* ``{"op": "record", "now": t}`` / ``{"op": "failures", "now": t}`` / ``{"op": "snapshot"}``;
* ``{"op": "logs"}``: what the throttle logged since the last ``logs``.
"""
import json
import logging
import re
import sys

from ckan.cli import load_config
from ckan.config.middleware import make_app


class Remember(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def main(ini):
    answers = sys.stdout
    sys.stdout = sys.stderr  # nothing CKAN prints may corrupt the answers
    app = make_app(load_config(ini))
    flask_app = app._wsgi_app
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    model.Session.remove()  # hold no transaction that would block the tests' truncates
    from ckanext.limahonesta import throttle

    remembered = Remember()
    throttle_log = logging.getLogger(throttle.__name__)
    throttle_log.addHandler(remembered)
    throttle_log.setLevel(logging.DEBUG)
    throttle_log.disabled = False

    def guess(codes):
        client = flask_app.test_client()
        statuses = []
        for code in codes:
            page = client.get("/denuncias/seguimiento")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', page.get_data(True))
            response = client.post("/denuncias/seguimiento",
                                   data={"_csrf_token": token.group(1), "codigo": code})
            statuses.append(response.status_code)
        return statuses

    def logs():
        messages, remembered.messages = remembered.messages, []
        return messages

    handlers = {
        "configure": lambda c: tk.config.update(c["settings"]),
        "reset": lambda c: throttle.reset(),
        "guess": lambda c: guess(c["codes"]),
        "record": lambda c: throttle.record_failure(None, now=c.get("now")),
        "failures": lambda c: throttle.failures(now=c.get("now")),
        "snapshot": lambda c: throttle.snapshot(),
        "logs": lambda c: logs(),
    }
    print(json.dumps({"ready": True}), file=answers, flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        print(json.dumps({"result": handlers[command["op"]](command)}), file=answers,
              flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
