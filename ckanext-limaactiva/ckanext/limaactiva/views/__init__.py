"""Blueprints of Lima Activa: ``/participa`` (public pages in ``public.py``, the
office's in ``management.py``), ``/servicios`` (``services.py``) and
``/dashboard/participa``; ``/participa/avisos`` (notice e-mail choice and
unsubscribe) is ``notices.py``. Importing the modules registers their routes on the
blueprints of ``common.py``; CKAN collects the blueprints named here."""

from ckanext.limaactiva.views import management, public, services  # noqa: F401 (routes)
from ckanext.limaactiva.views.common import dashboard, participa, servicios
from ckanext.limaactiva.views.notices import notices

__all__ = ["participa", "servicios", "dashboard", "notices"]
