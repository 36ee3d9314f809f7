"""Survey tables of Lima Activa (created by the migration ``e4a2c6f8b0d1_surveys``).

One survey belongs to a space and is open while the space's phase with its
``phase_key`` runs. A person answers once: ``UNIQUE (survey_id, user_id)`` on the
response is the guarantee, not the code that checks first.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects.postgresql import JSONB

from ckanext.limaactiva.model import new_id, utcnow

__all__ = ["Survey", "SurveyQuestion", "SurveyResponse", "SurveyAnswer"]

QUESTION_KINDS = ("single", "multiple", "scale", "text")
TEXT_STATES = ("pending", "approved", "rejected")


class Survey(tk.BaseModel):
    __tablename__ = "limaactiva_survey"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    space_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_space.id"), nullable=False
    )
    title = sa.Column(sa.UnicodeText, nullable=False)
    description = sa.Column(sa.UnicodeText, nullable=False, default="")
    # open while the space's phase with this key runs (Lima dates)
    phase_key = sa.Column(sa.UnicodeText, nullable=False)
    # aggregates public while the survey is open (otherwise only once it closes)
    live_results = sa.Column(sa.Boolean, nullable=False, default=False)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    modified = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    questions = orm.relationship(
        "SurveyQuestion",
        order_by="SurveyQuestion.position",
        cascade="all, delete-orphan",
        back_populates="survey",
    )


class SurveyQuestion(tk.BaseModel):
    __tablename__ = "limaactiva_survey_question"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    survey_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_survey.id"), nullable=False
    )
    position = sa.Column(sa.Integer, nullable=False)
    kind = sa.Column(sa.UnicodeText, nullable=False)
    text = sa.Column(sa.UnicodeText, nullable=False)
    # the choices of a single or multiple choice question, in order
    options = sa.Column(JSONB, nullable=False, default=list)
    required = sa.Column(sa.Boolean, nullable=False, default=False)
    survey = orm.relationship("Survey", back_populates="questions")


class SurveyResponse(tk.BaseModel):
    """That a person answered (never published; only counts are)."""

    __tablename__ = "limaactiva_survey_response"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "user_id", name="limaactiva_survey_once"),
    )
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    survey_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_survey.id"), nullable=False
    )
    user_id = sa.Column(sa.UnicodeText, nullable=False)
    created = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class SurveyAnswer(tk.BaseModel):
    """One answer to one question: a choice (``option_index``), a scale value or a text.

    A multiple choice question has one row per chosen option. Free text waits for the
    office's moderation (``text_state``) before it is published.
    """

    __tablename__ = "limaactiva_survey_answer"
    id = sa.Column(sa.UnicodeText, primary_key=True, default=new_id)
    response_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_survey_response.id"), nullable=False
    )
    question_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("limaactiva_survey_question.id"), nullable=False
    )
    option_index = sa.Column(sa.Integer)
    scale_value = sa.Column(sa.Integer)
    text = sa.Column(sa.UnicodeText)
    text_state = sa.Column(sa.UnicodeText)
    moderated_at = sa.Column(sa.DateTime)
