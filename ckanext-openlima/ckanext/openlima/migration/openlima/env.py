"""Alembic environment of the openlima plugin (catalogue core).

Its version table is ``openlima_alembic_version``; autogenerate looks only at the
catalogue's own tables (``openlima_`` but not the plan's or the search engine's).
"""
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool

from ckan.model.meta import metadata

config = context.config
fileConfig(config.config_file_name)

PLUGIN = os.path.basename(os.path.dirname(__file__))
VERSION_TABLE = f"{PLUGIN}_alembic_version"
OTHER_PLUGINS = ("openlima_plan", "openlima_search")


def include_object(obj, name, type_, reflected, compare_to):
    if type_ != "table":
        return True
    return name.startswith(PLUGIN + "_") and not name.startswith(OTHER_PLUGINS)


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        version_table=VERSION_TABLE,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = engine_from_config(
        config.get_section(config.config_ini_section),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=VERSION_TABLE,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
