"""Lima Activa: participation spaces, sessions, proposals, threads, 3/2/1 prioritisation,
surveys and the municipal services directory."""

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation  # not in the toolkit


def _exported(module) -> dict:
    return {name: getattr(module, name) for name in module.__all__}


def _actions() -> dict:
    from ckanext.limaactiva.logic import action, survey

    return {**_exported(action), **survey.ACTIONS}


def _auth_functions() -> dict:
    from ckanext.limaactiva.logic import auth, survey

    return {**_exported(auth), **survey.AUTH_FUNCTIONS}


def _blueprints() -> list:
    from ckanext.limaactiva import views
    from ckanext.limaactiva.views import surveys

    return [*_exported(views).values(), surveys.surveys]


def _helpers() -> dict:
    from ckanext.limaactiva import helpers
    from ckanext.limaactiva.views import surveys

    return {**_exported(helpers), **surveys.HELPERS}


@tk.blanket.actions(_actions)
@tk.blanket.auth_functions(_auth_functions)
@tk.blanket.validators
@tk.blanket.blueprints(_blueprints)
@tk.blanket.helpers(_helpers)
@tk.blanket.cli
@tk.blanket.config_declarations
class LimaActivaPlugin(p.SingletonPlugin, DefaultTranslation):
    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
