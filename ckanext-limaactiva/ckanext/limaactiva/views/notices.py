"""Pages of notice delivery: the e-mail choice (from the dashboard) and the one-click
unsubscribe link of every notice e-mail (RFC 8058)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.config.middleware.flask_app import csrf  # CKAN's CSRFProtect: no toolkit alias
from flask import Blueprint, redirect

__all__ = ["notices"]

notices = Blueprint("limaactiva_notices", __name__, url_prefix="/participa/avisos")


def _context() -> dict:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


def _messages(error: tk.ValidationError) -> list[str]:
    return [
        str(item)
        for value in (error.error_dict or {}).values()
        for item in (value if isinstance(value, list) else [value])
    ] or [tk._("Revise los datos ingresados.")]


@notices.route("/correo", methods=["POST"])
def delivery():
    """The dashboard's form: immediate e-mail, daily digest or none."""
    if not tk.current_user.is_authenticated:
        return tk.abort(403, tk._("Debe iniciar sesión."))
    try:
        tk.get_action("limaactiva_notice_settings_update")(
            _context(), {"delivery": tk.request.form.get("delivery", "")}
        )
    except tk.ValidationError as error:
        tk.h.flash_error(" ".join(_messages(error)))
    else:
        tk.h.flash_success(tk._("Guardado: así recibirá sus avisos por correo."))
    return redirect(tk.url_for("limaactiva_dashboard.notifications"))


def unsubscribe(token: str):
    """GET asks (a mail scanner that opens links changes nothing); POST stops the
    e-mails: the page's button, or a mail client's one-click ``List-Unsubscribe-Post``,
    which carries no session and no CSRF token — the signed token is the proof."""
    if tk.request.method == "POST":
        try:
            tk.get_action("limaactiva_notice_unsubscribe")({"user": ""}, {"token": token})
        except tk.ValidationError as error:
            return tk.render(
                "limaactiva/unsubscribe.html",
                {"token": token, "done": False, "errors": _messages(error)},
            ), 400
        return tk.render(
            "limaactiva/unsubscribe.html", {"token": token, "done": True, "errors": []}
        )
    return tk.render(
        "limaactiva/unsubscribe.html", {"token": token, "done": False, "errors": []}
    )


notices.add_url_rule(
    "/baja/<token>", view_func=csrf.exempt(unsubscribe), methods=["GET", "POST"]
)
