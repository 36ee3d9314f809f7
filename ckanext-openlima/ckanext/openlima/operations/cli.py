"""``ckan openlima scheduler``, ``ckan openlima backup`` and ``ckan openlima restore``
(attached to the ``openlima`` group in ``ckanext/openlima/cli.py``)."""
from __future__ import annotations

import click

__all__ = ["scheduler"]


@click.command("scheduler", short_help="Encola las tareas periódicas a su hora (uno solo por sitio).")
def scheduler() -> None:
    """Start the one scheduler of periodic jobs; CKAN's jobs workers run them."""
    from ckanext.openlima.operations import schedule

    others = schedule.live_schedulers()
    if others:
        raise click.ClickException(
            "Ya hay un programador de tareas en marcha para este sitio "
            f"({others[0].name}); solo debe haber uno.")
    cron = schedule.build_scheduler()
    for cron_job in cron.get_jobs():
        timing = cron_job.cron or f"cada {cron_job.interval} s"
        click.echo(f"  {cron_job.args[0]}: {timing}")
    click.echo(f"Programador de tareas en marcha ({len(cron.get_jobs())} tareas)", err=True)
    cron.start()
