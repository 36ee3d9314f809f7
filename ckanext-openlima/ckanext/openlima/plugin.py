"""Plugins of ckanext-openlima: the catalogue core, the PostgreSQL search engine, the
commitments dashboard and the DataStore. Harvesting's plugin is in ``harvest/plugin.py``:
importing it maps ckanext-harvest's tables onto CKAN's packages, which a portal without
the ``harvest`` plugin (CKAN's own search tests) must not get."""
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

# The loader is a hard prerequisite of openlima_datastore (listed with it in ckan.plugins).
from ckanext.xloader.interfaces import IXloader

from ckanext.openlima.datastore import actions as datastore_actions
from ckanext.openlima.plan import helpers as plan_helpers
from ckanext.openlima.plan import views as plan_views
from ckanext.openlima.plan.logic import action as plan_action
from ckanext.openlima.plan.logic import auth as plan_auth
from ckanext.openlima.search import action as search_action

XLOADER_DEFAULT_JOBS_DB = "sqlite:////tmp/xloader_jobs.db"


def _catalogue_actions() -> dict:
    """The catalogue's actions and CKAN's, chained so that no path shows a dataset to
    whom may not read it (privacy/)."""
    from ckanext.openlima.logic import action
    from ckanext.openlima.privacy import actions as privacy_actions

    return {**{name: getattr(action, name) for name in action.__all__},
            **privacy_actions.chained_actions()}


@tk.blanket.cli
@tk.blanket.helpers
@tk.blanket.validators
@tk.blanket.actions(_catalogue_actions)
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.config_declarations
class OpenLimaPlugin(p.SingletonPlugin, DefaultTranslation):
    """Catalogue core: the MML schema (validators, vocabularies), the DCAT-AP 3 profile
    (entry point ``openlima_dcat_ap_3``), compliance, usage metrics and the Spanish theme."""

    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.ITranslation)
    p.implements(p.IUploader, inherit=True)

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        tk.add_resource("assets", "openlima")

    def configure(self, config):
        # activity streams: a dataset's activity only for whom may read it now
        from ckanext.openlima.privacy import activity_seam

        activity_seam.install()

    # IUploader: CKAN asks for a resource's uploader with the upload still in hand; the
    # file's SHA-256 is recorded then, and CKAN's own uploader stores the file.
    def get_resource_uploader(self, data_dict):
        from ckanext.openlima.checksum import add_upload_checksum

        add_upload_checksum(data_dict)
        return None

    def get_uploader(self, upload_to, old_filename=None):
        return None

    # IPackageController: check the links of every saved dataset in the background
    def after_dataset_create(self, context, pkg_dict):
        self._enqueue_link_check(pkg_dict)

    def after_dataset_update(self, context, pkg_dict):
        self._enqueue_link_check(pkg_dict)

    def before_dataset_index(self, pkg_dict):
        """Index themes and districts by their Spanish names (facets ``tema``, ``distrito``),
        and the Spanish and English labels of the controlled values as searchable text."""
        from ckanext.openlima.logic import vocabularies

        pkg_dict["tema"] = vocabularies.labels_of("themes", pkg_dict.get("theme"))
        pkg_dict["distrito"] = vocabularies.district_names_of(pkg_dict.get("spatial_ubigeo"))
        pkg_dict[vocabularies.LABELS_FIELD] = vocabularies.searchable_labels(pkg_dict)
        return pkg_dict

    # IFacets: search by EU theme and by district, in Spanish
    def dataset_facets(self, facets_dict, package_type):
        facets_dict["tema"] = tk._("Temas")
        facets_dict["distrito"] = tk._("Distritos")
        return facets_dict

    def organization_facets(self, facets_dict, organization_type, package_type):
        return self.dataset_facets(facets_dict, package_type)

    def _enqueue_link_check(self, pkg_dict):
        from ckanext.openlima.logic.action import OWN_DATASETS
        from ckanext.openlima.quality import linkcheck

        if pkg_dict.get("id") and pkg_dict.get("name") not in OWN_DATASETS and pkg_dict.get("type", "dataset") == "dataset":
            linkcheck.enqueue_dataset_check(pkg_dict["id"])

    # IMiddleware: count dataset views and downloads after each request; CSRF exemptions
    # of API-token requests last that request only (ckanext/openlima/csrf.py); the DCAT
    # catalogue view checks its parameters (dcat/feeds.py); CORS for reading (cors.py);
    # bad input anywhere gets a clear 400/403/404, never a 500 (request_guard.py); a CSP
    # on every HTML page (csp.py)
    def make_middleware(self, app, config):
        if hasattr(app, "after_request"):
            from ckan.config.middleware.flask_app import csrf

            from ckanext.openlima.cors import add_read_cors_headers
            from ckanext.openlima.csp import add_content_security_policy
            from ckanext.openlima.csrf import scope_token_exemptions
            from ckanext.openlima.dcat import feeds
            from ckanext.openlima.metrics.tracking import count_usage
            from ckanext.openlima import request_guard

            app.after_request(count_usage)
            app.after_request(add_read_cors_headers)
            app.after_request(add_content_security_policy)
            scope_token_exemptions(csrf)
            feeds.install(app)
            request_guard.install(app)
        return app


@tk.blanket.actions(search_action)
@tk.blanket.config_declarations("search/config_declaration.yaml")
class OpenLimaSearchPlugin(p.SingletonPlugin):
    """Serves CKAN's search index from PostgreSQL instead of Solr.

    The rebinding happens in ``update_config`` because CKAN calls
    ``check_solr_schema_version()`` right after every ``IConfigurer.update_config``.
    Its ``package_search`` (chained) answers refused searches with the engine's message.
    """

    p.implements(p.IConfigurer)

    def update_config(self, config):
        from ckanext.openlima.search import seam

        seam.install()


@tk.blanket.actions(plan_action)
@tk.blanket.auth_functions(plan_auth)
@tk.blanket.helpers(plan_helpers)
@tk.blanket.blueprints(plan_views)
@tk.blanket.config_declarations("plan/config_declaration.yaml")
class OpenLimaPlanPlugin(p.SingletonPlugin):
    """Commitments dashboard of the Open Government Action Plan (``/compromisos``).

    Its modules live in ``ckanext/openlima/plan/``; its tables come from
    ``ckan db upgrade -p openlima_plan``; its CLI is ``ckan openlima plan``.
    Its strings are in the extension's catalogue (``ckanext-openlima``), registered by
    the ``openlima`` plugin, which the dashboard's templates need anyway.
    """

    p.implements(p.IConfigurer)

    def update_config(self, config):
        tk.add_template_directory(config, "templates")


@tk.blanket.actions(datastore_actions)
@tk.blanket.config_declarations("datastore/config_declaration.yaml")
class OpenLimaDatastorePlugin(p.SingletonPlugin):
    """The DataStore around CKAN's ``datastore`` and ckanext-xloader (both listed after
    this plugin in ``ckan.plugins``): see ``ckanext/openlima/datastore/``."""

    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.ITemplateHelpers)
    p.implements(IXloader, inherit=True)
    p.implements(p.IMiddleware, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IResourceController, inherit=True)

    def make_middleware(self, app, config):
        if hasattr(app, "view_functions"):
            from ckanext.openlima.datastore.dump import wrap_dump_endpoint

            wrap_dump_endpoint(app)
        return app

    def update_config(self, config):
        # xloader keeps its job log in a database of its own, by default a SQLite file in
        # /tmp shared by every portal on the machine: ours goes to CKAN's database.
        if config.get("ckanext.xloader.jobs_db.uri") in (None, "", XLOADER_DEFAULT_JOBS_DB):
            config["ckanext.xloader.jobs_db.uri"] = config.get("sqlalchemy.url")

    def configure(self, config):
        from ckanext.openlima.datastore import xloader_seam

        xloader_seam.install()

    def get_helpers(self):
        from ckanext.openlima.datastore import status

        return {"openlima_datastore_status": status.load_status}

    # IPackageController: a data officer's form may describe columns of loaded tables
    def after_dataset_update(self, context, pkg_dict):
        from ckanext.openlima.datastore import dictionary

        if (not context.get(dictionary.SYNC_FLAG)
                and any(r.get("datastore_active") for r in pkg_dict.get("resources") or [])):
            dictionary.enqueue_sync(pkg_dict["id"])

    # IResourceController: xloader reloads a resource when its URL changes; a new file
    # uploaded under the same name keeps the URL, so it is queued here.
    def after_resource_update(self, context, resource):
        from ckanext.openlima.datastore import loading

        loading.submit_if_new_upload(resource)

    # IXloader
    def after_upload(self, context, resource_dict, dataset_dict):
        import logging

        from ckanext.openlima.datastore import dictionary

        # The rows are in: a dictionary that cannot be synced now must not turn the
        # load into a failure (xloader reports this hook's errors as the load's).
        try:
            dictionary.sync_dataset(dataset_dict["id"])
        except (tk.ValidationError, tk.ObjectNotFound, tk.NotAuthorized) as error:
            logging.getLogger(__name__).warning(
                "Data dictionary of %s not synced: %s", dataset_dict.get("name"), error)

    def datastore_before_update(self, resource_id, existing_fields, new_headers):
        from ckanext.openlima.datastore import xloader_seam

        if xloader_seam.text_columns_only():
            for header in new_headers:
                header["type"] = "text"


class OpenLimaPdfViewPlugin(p.SingletonPlugin):
    """``openlima_pdf_view``: a PDF shown by the reader's own browser (its built-in
    viewer), with a download link for browsers that have none. No script, no third party."""

    p.implements(p.IResourceView, inherit=True)

    def info(self):
        return {"name": "openlima_pdf_view", "title": tk._("Documento PDF"),
                "icon": "file-pdf", "default_title": tk._("Documento PDF"),
                "iframed": False, "always_available": False}

    def can_view(self, data_dict):
        resource = data_dict["resource"]
        return ((resource.get("format") or "").lower() == "pdf"
                or (resource.get("mimetype") or "") == "application/pdf")

    def view_template(self, context, data_dict):
        return "openlima/pdf_view.html"


class OpenLimaCkanSpanishPlugin(p.SingletonPlugin):
    """Corrections to CKAN's own Spanish catalogue (``ckan_es/i18n``): Peruvian Spanish
    (usted, not CKAN's voseo "Podés", "querés"), and words CKAN leaves in English
    ("Publish", "Unpublish", a dataset's state "active"/"draft"). Translations of later
    plugins win when CKAN merges the catalogues, so this plugin comes last in
    ``ckan.plugins``. Only ``es``; the file is small and every entry is tested."""

    p.implements(p.ITranslation)

    def i18n_directory(self):
        import os

        return os.path.join(os.path.dirname(__file__), "ckan_es", "i18n")

    def i18n_locales(self):
        return ["es"]

    def i18n_domain(self):
        return "ckan-openlima-es"
