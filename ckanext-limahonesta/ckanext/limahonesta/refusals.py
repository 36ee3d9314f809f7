"""Refusals that are not the reporter's fault: 429 (wait) and 503 (try again later).

They travel through CKAN's actions as ``tk.ValidationError`` subclasses (field-level,
translated messages), because CKAN's Action API turns any other exception into a 500.
The API answers a ValidationError with 409; ``api_status`` (a Flask ``after_request``
hook) then gives our own actions' refusals their real status and ``Retry-After``. Our
pages catch ``Refused`` and render the form again, with what was typed, under the same
status and header.
"""
from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request

import ckan.plugins.toolkit as tk

__all__: list[str] = []

_G_KEY = "limahonesta_refusal"


class Refused(tk.ValidationError):
    def __init__(self, field: str, message: str, status: int, retry_after: int):
        super().__init__({field: [message]})
        self.status = status
        self.retry_after = retry_after
        if has_request_context():
            setattr(g, _G_KEY, (status, retry_after))


def throttled(field: str, retry_after: int) -> Refused:
    return Refused(field, tk._(
        "Hubo demasiados intentos con códigos incorrectos desde su conexión. Por "
        "seguridad, espere %(s)s segundos y vuelva a intentarlo; lo que escribió se "
        "mantiene en el formulario.") % {"s": retry_after}, 429, retry_after)


def unavailable(field: str, retry_after: int = 60) -> Refused:
    return Refused(field, tk._(
        "Lima Honesta no puede atenderle en este momento porque un servicio interno no "
        "responde. No se registró nada y lo que escribió se mantiene en el formulario "
        "(los archivos adjuntos deben elegirse otra vez). Intente de nuevo en unos "
        "minutos."), 503, retry_after)


def busy(field: str, retry_after: int = 2) -> Refused:
    return Refused(field, tk._(
        "El servidor está ocupado verificando otros envíos. Espere unos segundos y "
        "vuelva a intentarlo; lo que escribió se mantiene en el formulario."),
        503, retry_after)


def with_status(response: Any, refusal: Refused) -> Any:
    """``(body, status)`` or a response object, with ``Retry-After`` set."""
    from flask import make_response
    response = make_response(response, refusal.status)
    response.headers["Retry-After"] = str(refusal.retry_after)
    return response


def api_status(response: Any) -> Any:
    """Flask ``after_request``: our API refusals keep their own status, not 409."""
    refusal = getattr(g, _G_KEY, None)
    if (refusal is not None and response.status_code == 409
            and request.endpoint == "api.action"
            and str((request.view_args or {}).get("logic_function", "")).startswith(
                "limahonesta_")):
        status, retry_after = refusal
        response.status_code = status
        response.headers["Retry-After"] = str(retry_after)
    return response
