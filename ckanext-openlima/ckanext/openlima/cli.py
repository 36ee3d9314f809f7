"""``ckan openlima ...`` commands of the Open Lima catalogue (registered by ``tk.blanket.cli``)."""

from __future__ import annotations

import click

__all__ = ["openlima"]


@click.group(short_help="Comandos del catálogo Open Lima.")
def openlima() -> None:
    """Comandos del catálogo Open Lima."""


@openlima.group(short_help="Catálogo de demostración.")
def demo() -> None:
    """Catálogo de demostración: oficinas de la MML, temas y conjuntos de datos."""


@demo.command("load", short_help="Carga (o completa) el catálogo de demostración.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="No hace nada si el catálogo ya tiene algún conjunto de datos.",
)
def demo_load(if_empty: bool) -> None:
    """Carga el catálogo de demostración a través de la API de acciones.

    Es idempotente: lo que ya existe (por nombre) se deja como está y solo se añade lo
    que falta. Termina con código 1 si algún conjunto de datos no pasó la validación.
    """
    from ckanext.openlima.demo.loader import load_demo

    report = load_demo(if_empty=if_empty, echo=click.echo)
    if report.errors:
        raise click.ClickException(
            f"{len(report.errors)} conjuntos de datos no se pudieron cargar."
        )


def _attach_plan_commands() -> None:
    # The commitments dashboard (plugin openlima_plan) keeps its commands in plan/cli.py
    # and mounts them here as ``ckan openlima plan``; absent module, no subcommand.
    try:
        from ckanext.openlima.plan.cli import plan
    except ImportError:
        return
    openlima.add_command(plan)


def _attach_datastore_commands() -> None:
    from ckanext.openlima.datastore.cli import datastore

    openlima.add_command(datastore)


_attach_plan_commands()


def _attach_operations_commands() -> None:
    # scheduler, backup and restore live with the rest of production operations
    from ckanext.openlima.operations import cli as operations_cli

    for name in operations_cli.__all__:
        openlima.add_command(getattr(operations_cli, name))


_attach_operations_commands()
_attach_datastore_commands()
