"""``ckan openlima datastore ...``: load every tabular resource and follow the progress."""
from __future__ import annotations

import time

import click

__all__ = ["datastore"]


@click.group(short_help="DataStore: carga de datos tabulares y vistas.")
def datastore() -> None:
    """DataStore: carga de datos tabulares y vistas previas."""


@datastore.command("load-all", short_help="Carga en el DataStore todos los recursos tabulares.")
@click.option("--wait/--no-wait", default=True,
              help="Esperar y mostrar el avance hasta que terminen (por defecto).")
@click.option("--timeout", default=1800, show_default=True,
              help="Segundos que espera como máximo con --wait.")
@click.option("--force", is_flag=True, help="Volver a cargar también los ya cargados.")
def load_all(wait: bool, timeout: int, force: bool) -> None:
    """Crea las vistas que faltan en los recursos existentes y pone en cola la carga de
    cada recurso tabular aún no cargado (las hace el trabajador de tareas)."""
    from ckanext.openlima.datastore import loading

    views = loading.create_missing_views()
    if views:
        click.echo(f"Vistas creadas en recursos existentes: {views}")
    submitted = loading.submit_all(force=force)
    total = len(submitted)
    if not total:
        click.echo("DataStore: no hay recursos tabulares por cargar.")
        return
    click.echo(f"DataStore: {total} recursos tabulares en cola para cargar.")
    if not wait:
        return
    deadline = time.monotonic() + timeout
    last = None
    while True:
        counts = loading.progress(submitted)
        line = (f"DataStore: {counts['complete']} de {total} cargados"
                + (f", {counts['error']} con error" if counts["error"] else ""))
        if line != last:
            click.echo(line)
            last = line
        if counts["complete"] + counts["error"] >= total:
            break
        if time.monotonic() > deadline:
            click.echo("DataStore: la carga sigue en segundo plano.")
            break
        time.sleep(2)
    for resource_id, reason in loading.errors(submitted):
        click.echo(f"  {resource_id}: {reason}")
