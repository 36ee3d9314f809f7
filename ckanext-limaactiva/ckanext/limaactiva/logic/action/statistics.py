"""Aggregate participation counts (no personal data)."""

from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from ckanext.limaactiva.logic.shared import (
    deadline_days,
    lima_time,
    overdue_count,
)
from ckanext.limaactiva.model import (
    Comment,
    ParticipationSession,
    Proposal,
    SessionOrganisation,
    Space,
    Vote,
)


@tk.side_effect_free
def limaactiva_statistics(context, data_dict):
    """Aggregate participation counts (for the commitments dashboard). No personal data.

    :returns: counts of spaces, sessions, attendees, organisations, proposals, answers,
        comments, votes, distinct voters, distinct online participants (people who
        proposed, commented or voted), and proposals by district and by state
    """
    tk.check_access("limaactiva_statistics", context, data_dict)
    session = model.Session

    def scalar(statement) -> int:
        return int(session.execute(statement).scalar() or 0)

    closed = ParticipationSession.closed_at.isnot(None)
    by_district = dict(
        session.execute(
            sa.select(Proposal.district, sa.func.count()).group_by(Proposal.district)
        ).all()
    )
    by_state = dict(
        session.execute(
            sa.select(Proposal.state, sa.func.count()).group_by(Proposal.state)
        ).all()
    )
    return {
        "spaces": scalar(sa.select(sa.func.count()).select_from(Space)),
        "sessions": scalar(
            sa.select(sa.func.count()).select_from(ParticipationSession)
        ),
        "sessions_closed": scalar(
            sa.select(sa.func.count()).select_from(ParticipationSession).where(closed)
        ),
        "session_attendees": scalar(
            sa.select(sa.func.sum(ParticipationSession.attendees_count))
        ),
        "session_contributions": scalar(
            sa.select(sa.func.sum(ParticipationSession.contributions_count))
        ),
        "organisations_attending": scalar(
            sa.select(sa.func.count(sa.distinct(SessionOrganisation.organisation)))
        ),
        "proposals": scalar(sa.select(sa.func.count()).select_from(Proposal)),
        "proposals_answered": scalar(
            sa.select(sa.func.count())
            .select_from(Proposal)
            .where(Proposal.answer_date.isnot(None))
        ),
        "mean_answer_days": _mean_answer_days(),
        "proposals_overdue": overdue_count(),
        "answer_deadline_days": deadline_days(None),
        "comments": scalar(
            sa.select(sa.func.count())
            .select_from(Comment)
            .where(Comment.deleted.is_(False))
        ),
        "votes": scalar(sa.select(sa.func.count()).select_from(Vote)),
        "voters": scalar(sa.select(sa.func.count(sa.distinct(Vote.user_id)))),
        "participants": scalar(
            sa.select(sa.func.count()).select_from(
                sa.union(
                    sa.select(Proposal.author_user_id),
                    sa.select(Comment.author_user_id),
                    sa.select(Vote.user_id),
                ).subquery()
            )
        ),
        "proposals_by_district": {k: int(v) for k, v in sorted(by_district.items())},
        "proposals_by_state": {k: int(v) for k, v in sorted(by_state.items())},
    }


@tk.side_effect_free
def limaactiva_stats_show(context, data_dict):
    """Alias of ``limaactiva_statistics`` (the name used in issue 8)."""
    tk.check_access("limaactiva_stats_show", context, data_dict)
    return limaactiva_statistics(context, data_dict)


def _mean_answer_days() -> float | None:
    """Mean days from proposal to official answer (the consultation asked for fast answers)."""
    value = model.Session.execute(
        sa.select(
            sa.func.avg(Proposal.answer_date - sa.cast(lima_time(Proposal.created), sa.Date))
        ).where(Proposal.answer_date.isnot(None))
    ).scalar()
    return None if value is None else round(float(value), 1)
