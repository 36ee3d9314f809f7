"""How each person wants notices by e-mail, and how far the catalogue watch has read.

Kept apart from ``model/__init__.py``: one idea (delivery of notices), one module.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from ckanext.limaactiva.model import utcnow

__all__ = ["NoticeSetting", "WatchCursor", "DELIVERY_MODES"]

# immediate: one e-mail per notice; digest: one e-mail a day with everything that moved;
# none: notices stay on the dashboard only
DELIVERY_MODES = ("immediate", "digest", "none")


class NoticeSetting(tk.BaseModel):
    """One person's choice (no row: ``immediate``, the default)."""

    __tablename__ = "limaactiva_notice_setting"
    user_id = sa.Column(sa.UnicodeText, primary_key=True)
    delivery = sa.Column(sa.UnicodeText, nullable=False, default="immediate")
    # when the choice was last changed: a digest never carries notices from before it
    changed = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    # the instant of the last digest sent (its Lima date says whether today's went out)
    last_digest_at = sa.Column(sa.DateTime)


class WatchCursor(tk.BaseModel):
    """Up to which instant a watched source (CKAN's activity, the commitments' history)
    has been turned into notices."""

    __tablename__ = "limaactiva_watch_cursor"
    name = sa.Column(sa.UnicodeText, primary_key=True)
    until = sa.Column(sa.DateTime, nullable=False)
