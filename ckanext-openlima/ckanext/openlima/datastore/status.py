"""What the resource page says about a resource's DataStore load, in the reader's language.

xloader keeps its state in CKAN's ``task_status`` (type and key ``xloader``) with English,
technical error texts. The page shows a short Spanish (or English) sentence instead —
"No se pudo cargar: …" — and never the library's or the database's text.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any, Optional

import ckan.plugins.toolkit as tk

__all__ = ["load_status", "failure_reason"]

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated when shown."""
    return message



# (pattern in xloader's error text, reason shown) — first match wins
REASONS = [
    (r"red privada|private|loopback", N_(
        "la dirección del archivo apunta a una red privada o local, y el portal no descarga "
        "de ellas.")),
    (r"too large|Data too large", N_(
        "el archivo supera el tamaño máximo que el portal carga para la vista de datos "
        "({max_mb} MB). El archivo original sigue disponible para descargar.")),
    (r"timed out|Timeout|time out", N_(
        "el servidor del archivo no respondió a tiempo.")),
    (r"Connection|Name or service|resolve|Max retries|Failed to establish|redirect", N_(
        "no se pudo conectar con el servidor del archivo.")),
    (r"bad HTTP response|status=[0-9]", N_(
        "el servidor del archivo no lo entregó (respuesta de error).")),
    (r"empty|no rows|no data|header|sheet|Format|format|parse|decode|encoding|"
     r"field definition|valid field name|Column|column|COPY|tabulator", N_(
        "el archivo no se pudo leer como una tabla (¿está vacío, dañado o no es del "
        "formato que dice su extensión?).")),
]
DEFAULT_REASON = N_("el archivo no se pudo leer como una tabla.")


def failure_reason(error: Any) -> str:
    """The translated reason for xloader's error text."""
    text = error if isinstance(error, str) else json.dumps(error, default=str)
    max_mb = int(tk.config.get("ckanext.xloader.max_content_length") or 0) // 1_000_000
    for pattern, reason in REASONS:
        if re.search(pattern, text or ""):
            return tk._(reason).format(max_mb=max_mb)
    return tk._(DEFAULT_REASON)


def load_status(resource: dict) -> Optional[dict]:
    """``{"state": "pending"|"running"|"complete"|"error", "message": str}`` for a
    resource the loader handles, or None when it never saw it."""
    try:
        task = tk.get_action("task_status_show")(
            {"ignore_auth": True},
            {"entity_id": resource["id"], "task_type": "xloader", "key": "xloader"},
        )
    except tk.ObjectNotFound:
        return None
    state = task.get("state")
    if state == "error" or (state == "complete" and not resource.get("datastore_active")
                            and task.get("error")):
        return {"state": "error",
                "message": tk._("No se pudo cargar: {reason}").format(
                    reason=failure_reason(task.get("error")))}
    if state in ("pending", "submitting"):
        return {"state": "pending",
                "message": tk._("En cola para cargar la vista de datos.")}
    if state in ("running", "running_but_viewable"):
        return {"state": "running", "message": tk._("Cargando la vista de datos…")}
    if state == "complete" and resource.get("datastore_active"):
        return {"state": "complete",
                "message": tk._("Datos cargados: puede consultarlos en la vista previa y "
                                "con la API de datos.")}
    return None
