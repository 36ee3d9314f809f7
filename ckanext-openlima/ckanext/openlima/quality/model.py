"""The link checker's results: one row per resource, its last check."""
from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

import ckan.model as model
import ckan.plugins.toolkit as tk
from openlima_common import clock

__all__ = ["LinkCheck"]


class LinkCheck(tk.BaseModel):  # type: ignore[misc, valid-type]
    __tablename__ = "openlima_link_check"

    resource_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)  # type: ignore[assignment]
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, index=True)  # type: ignore[assignment]
    url: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)  # type: ignore[assignment]
    ok: Mapped[bool] = sa.Column(sa.Boolean, nullable=False)  # type: ignore[assignment]
    status_code: Mapped[int | None] = sa.Column(sa.Integer)  # type: ignore[assignment]
    error: Mapped[str | None] = sa.Column(sa.UnicodeText)  # type: ignore[assignment]
    checked_at: Mapped[datetime.datetime] = sa.Column(  # type: ignore[assignment]
        sa.DateTime, nullable=False, default=clock.utcnow
    )

    @classmethod
    def for_packages(cls, package_ids: list[str]) -> dict[str, "LinkCheck"]:
        if not package_ids:
            return {}
        rows = model.Session.query(cls).filter(cls.package_id.in_(package_ids)).all()
        return {row.resource_id: row for row in rows}

    def as_dict(self) -> dict:
        return {
            "resource_id": self.resource_id,
            "url": self.url,
            "ok": self.ok,
            "status_code": self.status_code,
            "error": self.error,
            "checked_at": self.checked_at.isoformat(),
        }
