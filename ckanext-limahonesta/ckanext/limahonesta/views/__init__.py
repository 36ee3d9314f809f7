"""Blueprints: the reporter side (/denuncias) and the Integrity Unit side (/integridad)."""
from .reporter import reporter
from .staff import staff_bp

__all__ = ["reporter", "staff_bp"]
