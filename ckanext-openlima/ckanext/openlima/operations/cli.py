"""``ckan openlima scheduler``, ``ckan openlima backup`` and ``ckan openlima restore``
(attached to the ``openlima`` group in ``ckanext/openlima/cli.py``)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import click

__all__ = ["scheduler", "backup", "restore"]


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


def _passphrase(passphrase_file: Optional[str], confirm: bool) -> str:
    """From a file (first line), from OPENLIMA_BACKUP_PASSPHRASE, or asked (hidden)."""
    if passphrase_file:
        return Path(passphrase_file).read_text(encoding="utf-8").splitlines()[0]
    if os.environ.get("OPENLIMA_BACKUP_PASSPHRASE"):
        return os.environ["OPENLIMA_BACKUP_PASSPHRASE"]
    return click.prompt("Contraseña de la copia", hide_input=True,
                        confirmation_prompt=confirm)


@click.command("backup", short_help="Copia de seguridad cifrada (bases de datos, archivos, secretos).")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="Archivo a escribir (no se sobrescribe uno existente).")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False),
              help="Archivo con la contraseña (si no, OPENLIMA_BACKUP_PASSPHRASE o se pregunta).")
def backup(output: str, passphrase_file: Optional[str]) -> None:
    """Write one encrypted archive: pg_dump of CKAN's database (and the DataStore's),
    uploaded files, Lima Honesta's evidence and the secrets needed to read reports."""
    from ckanext.openlima.operations.backup import BackupError, create_backup

    try:
        manifest = create_backup(Path(output), _passphrase(passphrase_file, confirm=True))
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"Copia escrita en {output}: bases {', '.join(manifest['databases'])}; "
               f"carpetas {', '.join(manifest['folders']) or '-'}; "
               f"{len(manifest['secrets'])} secretos.")


@click.command("restore", short_help="Restaura una copia en un portal vacío.")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False),
              help="Archivo con la contraseña (si no, OPENLIMA_BACKUP_PASSPHRASE o se pregunta).")
@click.option("--secrets-dir", type=click.Path(file_okay=False),
              default=lambda: os.environ.get("OPENLIMA_SECRETS_DIR"),
              help="Dónde escribir los secretos restaurados: la carpeta OPENLIMA_SECRETS_DIR "
                   "de producción o .openlima/ de make run (por defecto OPENLIMA_SECRETS_DIR).")
def restore(archive: str, passphrase_file: Optional[str], secrets_dir: Optional[str]) -> None:
    """Restore ARCHIVE into this portal, whose databases must be empty; then restart the
    services so that they read the restored secrets."""
    from ckanext.openlima.operations.backup import BackupError, restore_backup

    if not secrets_dir:
        raise click.ClickException(
            "Indique --secrets-dir (o OPENLIMA_SECRETS_DIR): sin los secretos restaurados "
            "las denuncias no se pueden leer.")
    try:
        manifest = restore_backup(Path(archive), _passphrase(passphrase_file, confirm=False),
                                  Path(secrets_dir))
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"Restaurada la copia del {manifest['created']} ({manifest['site_id']}). "
               f"Secretos escritos en {secrets_dir}: reinicie los servicios para usarlos.")
