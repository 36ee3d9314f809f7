"""Plugins of ckanext-openlima: the catalogue core and the PostgreSQL search engine."""
import ckan.plugins as p
import ckan.plugins.toolkit as tk


@tk.blanket.helpers
@tk.blanket.validators
@tk.blanket.config_declarations
class OpenLimaPlugin(p.SingletonPlugin):
    """Catalogue core: the MML schema (validators, vocabularies), the DCAT-AP 3 profile
    (entry point ``openlima_dcat_ap_3``), compliance, usage metrics and the Spanish theme."""

    p.implements(p.IConfigurer)

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")


class OpenLimaSearchPlugin(p.SingletonPlugin):
    """Serves CKAN's search index from PostgreSQL instead of Solr.

    The rebinding happens in ``update_config`` because CKAN calls
    ``check_solr_schema_version()`` right after every ``IConfigurer.update_config``.
    """

    p.implements(p.IConfigurer)

    def update_config(self, config):
        from ckanext.openlima.search import seam

        seam.install()


class OpenLimaPlanPlugin(p.SingletonPlugin):
    """Commitments dashboard of the Open Government Action Plan."""

    p.implements(p.IConfigurer)

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
