"""The ``openlima_harvest`` plugin (see ``OpenLimaHarvestPlugin``)."""
import ckan.plugins as p

from ckanext.openlima.harvest.harvester import OpenLimaHarvester


class OpenLimaHarvestPlugin(OpenLimaHarvester):
    """Harvesting district portals and DCAT files (source type ``openlima_dcat``), with
    ckanext-harvest's ``harvest`` plugin: sources of offices, jobs on CKAN's jobs worker,
    datasets under the MML schema (``ckanext/openlima/harvest/``). The dataset page's
    provenance comes from the ``openlima`` plugin's helpers."""

    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)
    p.implements(p.ITranslation)

    # ITranslation: Spanish for ckanext-harvest's own pages (it ships no Spanish catalogue)
    def i18n_directory(self):
        import os

        return os.path.join(os.path.dirname(__file__), "i18n")

    def i18n_locales(self):
        return ["es"]

    def i18n_domain(self):
        return "ckanext-harvest"

    def get_actions(self):
        from ckanext.openlima.harvest import action

        return {name: getattr(action, name) for name in action.__all__}

    def get_auth_functions(self):
        from ckanext.openlima.harvest import auth

        return {name: getattr(auth, name) for name in auth.__all__}
