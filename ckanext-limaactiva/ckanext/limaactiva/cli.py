"""``ckan limaactiva ...`` commands."""

from __future__ import annotations

import secrets

import ckan.plugins.toolkit as tk
import click

__all__ = ["limaactiva"]


@click.group(short_help="Lima Activa (participación ciudadana).")
def limaactiva():
    pass


@limaactiva.command("generate-key")
def generate_key():
    """Print a new random key for ckanext.limaactiva.dni_hmac_key (keep it out of git)."""
    click.echo(secrets.token_hex(32))


@limaactiva.command("snapshot")
def snapshot():
    """Record today's score of every proposal (run daily from cron)."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    written = tk.get_action("limaactiva_snapshot_create")(
        {"user": site_user["name"]}, {}
    )
    click.echo(f"{len(written)} cortes registrados.")


@limaactiva.command("announce-phases")
def announce_phases():
    """Tell the followers of every space whose current phase changed (run hourly)."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    result = tk.get_action("limaactiva_phase_announce")(
        {"user": site_user["name"]}, {}
    )
    click.echo(
        f"{result['spaces']} espacios con fase nueva, {result['notices']} avisos, "
        f"{result['emailed']} correos."
    )


@limaactiva.command("send-digests")
def send_digests():
    """Send the daily digest of notices to whoever chose it (run hourly; each person
    gets one a Lima day, from ckanext.limaactiva.digest_hour)."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    result = tk.get_action("limaactiva_notice_digest_send")(
        {"user": site_user["name"]}, {}
    )
    if result["waiting"]:
        click.echo("Aún no es la hora de los resúmenes (hora de Lima).")
    else:
        click.echo(f"{result['sent']} resúmenes enviados.")


@limaactiva.command("watch")
def watch():
    """Notices for what moved in followed datasets, offices and commitments (run every
    ten minutes)."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    result = tk.get_action("limaactiva_followed_announce")({"user": site_user["name"]}, {})
    click.echo(f"{result['notices']} avisos, {result['emailed']} correos.")


@limaactiva.command("publish")
def publish():
    """Create or refresh the CKAN dataset of the participation exports."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    dataset = tk.get_action("limaactiva_publish")({"user": site_user["name"]}, {})
    click.echo(f"Publicado: {dataset['name']} ({len(dataset['resources'])} recursos).")


@limaactiva.group("demo")
def demo():
    """Demonstration content."""


@demo.command("load")
def demo_load():
    """Create the demonstration space, proposals, session and services (idempotent)."""
    from ckanext.limaactiva import demo as demo_content

    created = demo_content.load()
    click.echo(
        "Lima Activa: " + (", ".join(created) if created else "nada que crear") + "."
    )
