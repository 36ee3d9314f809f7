"""A second Open Lima portal in its own process, on its own database: the district portal
the federation tests harvest from, and the portal the DCAT round trip re-creates the demo
catalogue in.

``python second_portal.py INI PORT`` migrates the (empty) database of INI, creates a
sysadmin with an API token, prints ``{"user": ..., "token": ...}`` as its first line and
serves CKAN on 127.0.0.1:PORT until it is stopped. The ``second_portal`` fixture
(tests/openlima/conftest.py) starts and stops it.
"""
import json
import sys
import threading


def prepare(app):
    import ckan.model as model
    import ckan.plugins.toolkit as tk
    from ckan.cli.db import _run_migrations
    from openlima_stack.ckan_tasks import migration_sources

    model.repo.init_db()
    for source in migration_sources(tk.aslist(tk.config["ckan.plugins"])):
        if source.plugin:
            _run_migrations(source.plugin)
    with app._wsgi_app.test_request_context():
        site = {"user": tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"],
                "ignore_auth": True}
        user = tk.get_action("user_create")(dict(site), {
            "name": "admin-distrito", "email": "admin@distrito.example.org",
            "password": "distrito-" + tk.config["SECRET_KEY"][:12]})
        admin = model.User.get(user["id"])
        admin.sysadmin = True
        model.Session.commit()
        token = tk.get_action("api_token_create")(dict(site), {"user": user["name"], "name": "pruebas"})
    return {"user": user["name"], "token": token["token"]}


def main(ini: str, port: str) -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    from werkzeug.serving import make_server

    app = make_app(load_config(ini))
    credentials = prepare(app)
    server = make_server("127.0.0.1", int(port), app, threaded=True)
    print(json.dumps(credentials), flush=True)
    # stdin closing (the test process ending) stops the server too
    threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
