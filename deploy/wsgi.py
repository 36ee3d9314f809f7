"""WSGI entry point of the production image: gunicorn serves ``application``.

``CKAN_INI`` names the ini the entrypoint rendered (``/srv/app/run/ckan.ini`` in the
image); CKAN builds its Flask app from it with ``ckan.config.middleware.make_app``.
"""

import configparser
import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

config_path = os.environ["CKAN_INI"]

# The rendered ini carries its own logging sections; an ini without them (one that only
# `use`s another) keeps Python's default logging instead of failing to start.
_sections = configparser.RawConfigParser()
_sections.read(config_path)
if _sections.has_section("loggers"):
    fileConfig(config_path, disable_existing_loggers=False)

application = make_app(CKANConfigLoader(config_path).get_config())
