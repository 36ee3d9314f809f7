"""Open Lima's development and test stack: the code behind ``make run`` and ``make test``.

It finds (or starts) PostgreSQL and Redis, writes the runtime ini under ``.openlima/``,
migrates the database, creates the administrator, loads the demo catalogue and serves
CKAN. Nothing here is imported by the CKAN extensions.
"""
