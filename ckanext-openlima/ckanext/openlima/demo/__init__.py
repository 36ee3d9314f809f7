"""The Open Lima demo catalogue: MML offices, themes and datasets with real small files.

``data/`` holds the catalogue as YAML (one entry per dataset), ``files/`` the resource
files, ``loader.py`` loads them through the Action API and ``generate_files.py`` is how
the files were written. Run it with ``ckan -c <ini> openlima demo load [--if-empty]``.
"""
