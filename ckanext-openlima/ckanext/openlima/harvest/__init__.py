"""Harvesting: district portals and DCAT files into the MML catalogue (plugin
``openlima_harvest``, with ckanext-harvest's ``harvest``)."""
