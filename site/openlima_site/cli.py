"""``openlima-site``: build the static open-data site from CKAN's Action API."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .build import BuildError, build_site
from .source import CkanError, CkanSource, load_dump, save_dump

__all__ = ["main"]

_STAGES = {
    "datasets": "Descargando conjuntos de datos",
    "render": "Generando páginas",
}
_DONE = {
    "organizations": "Oficinas y grupos descargados",
    "extras": "Compromisos, cumplimiento y métricas consultados",
    "dcat": "Catálogo DCAT copiado",
    "index": "Índice de búsqueda generado",
}


class _Bars:
    """Click progress bars, one per stage, fed by the builder's progress callback."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.stage: str | None = None
        self.bar = None
        self.done = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            if stage not in _STAGES:
                click.echo(_DONE.get(stage, stage), err=True)
                return
            self.bar = click.progressbar(length=max(total, 1), label=_STAGES[stage],
                                         file=click.get_text_stream("stderr"))
            self.bar.__enter__()
            self.done = 0
        if self.bar is not None:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.group()
def main() -> None:
    """Sitio estático de datos abiertos de Open Lima."""


@main.command()
@click.option("--source", "source_url", default="http://127.0.0.1:5000", show_default=True,
              envvar="OPENLIMA_SITE_SOURCE", help="URL de CKAN de donde leer la API de acciones.")
@click.option("--dump", "dump_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Construir desde un volcado JSON (sin CKAN) en lugar de --source.")
@click.option("--out", "out", default="site/dist", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Carpeta del sitio generado.")
@click.option("--site-url", default="http://127.0.0.1:8080", show_default=True,
              envvar="OPENLIMA_SITE_URL",
              help="URL pública del sitio (sitemap, feed, enlaces canónicos).")
@click.option("--ckan-url", default=None, envvar="OPENLIMA_SITE_CKAN_URL",
              help="URL pública de CKAN para enlaces y descargas (por defecto, --source).")
@click.option("--base", default="/", show_default=True, help="Ruta base del sitio en el servidor.")
@click.option("--full", is_flag=True, help="Regenerar todo, sin construcción incremental.")
@click.option("--no-index", is_flag=True, help="No generar el índice de búsqueda Pagefind.")
@click.option("--page-size", default=1000, show_default=True,
              help="Filas por página de package_search.")
@click.option("--quiet", is_flag=True, help="Sin barra de progreso.")
def build(source_url, dump_path, out, site_url, ckan_url, base, full, no_index, page_size, quiet):
    """Genera el sitio desde CKAN y lo publica de forma atómica en OUT."""
    bars = _Bars(enabled=not quiet)
    try:
        if dump_path:
            report = build_site(out, site_url, catalogue=load_dump(dump_path),
                                ckan_url=ckan_url or source_url, base=base,
                                incremental=not full, pagefind=not no_index, progress=bars)
        else:
            source = CkanSource(source_url, page_size=page_size)
            report = build_site(out, site_url, source=source, ckan_url=ckan_url, base=base,
                                incremental=not full, pagefind=not no_index, progress=bars)
    except (CkanError, BuildError) as error:
        bars.close()
        raise click.ClickException(f"{error}\nEl sitio publicado en {out} no se modificó.")
    bars.close()
    for warning in report.warnings:
        click.echo(f"Aviso: {warning}", err=True)
    click.echo(
        f"Sitio {'incremental' if report.mode == 'incremental' else 'completo'} en {out}: "
        f"{report.datasets} conjuntos de datos, {report.dataset_pages_rendered} páginas de "
        f"conjuntos regeneradas, {len(report.changed)} archivos cambiados respecto del sitio "
        f"anterior, {report.files_written} archivos escritos, "
        f"{report.files_unchanged} sin cambios, {report.files_removed} eliminados "
        f"({json.dumps(report.seconds)} s)."
    )


@main.command()
@click.option("--source", "source_url", default="http://127.0.0.1:5000", show_default=True,
              envvar="OPENLIMA_SITE_SOURCE")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def dump(source_url, path):
    """Guarda en PATH todo lo público de CKAN, para construir después sin CKAN."""
    try:
        catalogue = CkanSource(source_url).fetch()
    except CkanError as error:
        raise click.ClickException(str(error))
    save_dump(catalogue, path)
    click.echo(f"{len(catalogue.datasets)} conjuntos de datos guardados en {path}")


if __name__ == "__main__":
    main()
