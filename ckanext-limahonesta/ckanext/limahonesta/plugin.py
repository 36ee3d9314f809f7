"""Lima Honesta: anonymous, encrypted corruption reports for the Integrity Unit."""
from __future__ import annotations

from typing import Any

import flask

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation  # not in the toolkit

from . import redis_timeouts
from .middleware import LimaHonestaMiddleware, bind_to_matched_route
from .refusals import api_status


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class LimaHonestaPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.IMiddleware, inherit=True)

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        redis_timeouts.apply(config)

    def make_middleware(self, app: Any, config: Any) -> Any:
        # Wrap Flask's own wsgi_app (not the outer stack) so that the environ is
        # scrubbed for every caller, including CKAN's test client. The protections
        # follow the route Flask matches (middleware.py), so the hook that reads
        # Flask's endpoint goes first of all before_request functions.
        flask_app = app
        while not isinstance(flask_app, flask.Flask) and hasattr(flask_app, "app"):
            flask_app = flask_app.app
        if isinstance(flask_app, flask.Flask):
            flask_app.wsgi_app = LimaHonestaMiddleware(flask_app.wsgi_app, flask_app)
            flask_app.before_request_funcs.setdefault(None, []).insert(0, bind_to_matched_route)
            flask_app.after_request(api_status)
            return app
        return LimaHonestaMiddleware(app)
