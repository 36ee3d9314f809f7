"""Our own error pages: same strict headers and no dependency on the site theme."""
from __future__ import annotations

from typing import Any, Optional

from redis import RedisError
from werkzeug.exceptions import HTTPException

import ckan.plugins.toolkit as tk

from ..kdf_slots import Busy

__all__: list[str] = []

UNAVAILABLE_RETRY_SECONDS = 60
BUSY_RETRY_SECONDS = 2


def titles() -> dict[int, str]:
    return {400: tk._("Solicitud no válida"), 401: tk._("No autorizado"),
            403: tk._("Acceso denegado"), 404: tk._("No encontrado"),
            405: tk._("Método no permitido"), 413: tk._("Envío demasiado grande"),
            429: tk._("Demasiados intentos"), 503: tk._("Servicio no disponible")}


def _page(code: int, message: str, home: str, kept: Optional[str] = None,
          retry_after: Optional[int] = None):
    body = tk.render("limahonesta/error.html", extra_vars={
        "code": code, "title": titles().get(code, tk._("Error")),
        "message": message, "home": home,
        "kept": kept if isinstance(kept, str) and len(kept) <= 20000 else None})
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return body, code, headers


def unavailable_page(home: str, kept: Optional[str] = None):
    """503 when Redis (sessions, anti-spam) does not answer; ``kept``: the typed text."""
    return _page(503, tk._(
        "Lima Honesta no puede atenderle en este momento porque un servicio interno no "
        "responde. No se registró nada. Intente de nuevo en unos minutos."),
        home, kept, UNAVAILABLE_RETRY_SECONDS)


def register(blueprint: Any, home: str) -> None:
    def handle(error: HTTPException):
        code = error.code or 500
        message = error.description if isinstance(error.description, str) else ""
        if code == 400 and "CSRF" in (message or ""):
            message = tk._("El formulario caducó o no es válido. Vuelva a cargar la página.")
        elif message == getattr(type(error), "description", None):
            message = ""  # Werkzeug's own English text: the translated title says it
        return _page(code, message, home)

    def redis_down(error: Exception):
        return unavailable_page(home)

    def busy(error: Exception):
        return _page(503, tk._(
            "El servidor está ocupado verificando otros envíos. Espere unos segundos y "
            "vuelva a intentarlo."), home, retry_after=BUSY_RETRY_SECONDS)

    for code in (400, 401, 403, 404, 405, 413, 429, 503):
        blueprint.register_error_handler(code, handle)
    blueprint.register_error_handler(RedisError, redis_down)
    blueprint.register_error_handler(Busy, busy)
