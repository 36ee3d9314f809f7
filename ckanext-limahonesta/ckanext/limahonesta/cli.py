"""``ckan limahonesta ...``: set-up of the Integrity Unit, pepper generation, retention
purge, deadline reminders, statistics publication."""
from __future__ import annotations

import secrets

import click

__all__ = ["limahonesta"]


@click.group(short_help="Lima Honesta (denuncias) commands")
def limahonesta():
    pass


@limahonesta.command()
@click.option("--member", "members", multiple=True, metavar="USUARIO",
              help="Usuario de CKAN que será administrador de la organización de la Unidad "
                   "(puede repetirse).")
def setup(members: tuple[str, ...]):
    """Prepare the Integrity Unit: its organisation and its key pair (idempotent).

    Run it once at installation (``make run`` and the production entrypoint do): reports
    received before anybody enrols are then sealed to the unit and reach its first
    reviewer.
    """
    import ckan.plugins.toolkit as tk
    from . import crypto, publication, unit
    if not crypto.is_configured():
        raise click.ClickException("Falta ckanext.limahonesta.pepper: Lima Honesta no puede "
                                   "guardar denuncias sin él (ckan limahonesta generate-pepper)")
    context = publication.site_context()
    organization = publication.integrity_organization(context)
    for member in members:
        tk.get_action("organization_member_create")(dict(context), {
            "id": organization["id"], "username": member, "role": "admin"})
    row = unit.ensure_unit()
    import ckan.model as model
    from .model import UnitKey
    holders = model.Session.query(UnitKey).count()
    custody = ("en custodia inicial hasta la primera inscripción" if row.bootstrap_wrapped_key
               else f"en poder de {holders} persona(s) revisora(s)")
    click.echo(f"Unidad de Integridad lista: organización {organization['name']}"
               f"{' (miembros: ' + ', '.join(members) + ')' if members else ''}; "
               f"llave de la Unidad {custody}")


@limahonesta.command("generate-pepper")
def generate_pepper():
    """Print a new random pepper for ckanext.limahonesta.pepper (keep it out of git)."""
    click.echo(secrets.token_urlsafe(48))


@limahonesta.command()
def purge():
    """Delete closed cases past their retention period (rows and files)."""
    from . import cases
    deleted = cases.purge_expired()
    click.echo(f"{len(deleted)} caso(s) eliminado(s) por plazo de conservación")


@limahonesta.command()
def reminders():
    """E-mail the Integrity Unit if any deadline is near or overdue (no case details)."""
    import ckan.model as model
    from . import cases
    from .model import Case
    due = [c for c in model.Session.query(Case).filter(Case.status != "cerrada")
           if any(v for k, v in cases.deadlines(c).items() if k.endswith(("overdue", "reminder")))]
    if due:
        cases.notify_staff()
    click.echo(f"{len(due)} caso(s) con plazos próximos o vencidos")


@limahonesta.command()
def publish():
    """Create or update the public dataset with the monthly statistics (CSV, small cells suppressed)."""
    import ckan.plugins.toolkit as tk
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    try:
        dataset = tk.get_action("limahonesta_statistics_publish")({"user": site_user}, {})
    except tk.ValidationError as error:
        raise click.ClickException(f"No se pudo publicar el conjunto de datos: {error.error_dict}")
    click.echo(f"Conjunto de datos publicado: {dataset['name']} "
               f"({len(dataset.get('resources', []))} recurso(s))")
