"""Our own error pages: same strict headers and no dependency on the site theme."""
from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException

import ckan.plugins.toolkit as tk

__all__: list[str] = []


def titles() -> dict[int, str]:
    return {400: tk._("Solicitud no válida"), 401: tk._("No autorizado"),
            403: tk._("Acceso denegado"), 404: tk._("No encontrado"),
            405: tk._("Método no permitido"), 413: tk._("Envío demasiado grande"),
            503: tk._("Servicio no disponible")}


def register(blueprint: Any, home: str) -> None:
    def handle(error: HTTPException):
        code = error.code or 500
        message = error.description if isinstance(error.description, str) else ""
        if code == 400 and "CSRF" in (message or ""):
            message = tk._("El formulario caducó o no es válido. Vuelva a cargar la página.")
        elif message == getattr(type(error), "description", None):
            message = ""  # Werkzeug's own English text: the translated title says it
        body = tk.render("limahonesta/error.html", extra_vars={
            "code": code, "title": titles().get(code, tk._("Error")),
            "message": message, "home": home})
        return body, code

    for code in (400, 401, 403, 404, 405, 413, 503):
        blueprint.register_error_handler(code, handle)
