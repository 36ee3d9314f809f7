"""Blueprints: the reporter side (/denuncias), the Integrity Unit side (/integridad) and
the public integrity commitment register (/integridad/compromiso)."""
from .commitment import commitment_bp
from .reporter import reporter
from .staff import staff_bp

__all__ = ["commitment_bp", "reporter", "staff_bp"]
