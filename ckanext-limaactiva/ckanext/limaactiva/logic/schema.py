"""Input schemas for Lima Activa actions (navl dictionaries of our own validators)."""

from __future__ import annotations

from ckanext.limaactiva.logic import validators as v

__all__: list[str] = []

required = v.limaactiva_required
optional = v.limaactiva_optional


def id_schema():
    return {"id": [required, v.limaactiva_text]}


def phase_schema():
    return {
        "phase_key": [required, v.limaactiva_phase_key],
        "title": [optional, v.limaactiva_text],
        "start_date": [required, v.limaactiva_date],
        "end_date": [required, v.limaactiva_date],
        "proposals_enabled": [optional, v.limaactiva_bool],
        "comments_enabled": [optional, v.limaactiva_bool],
        "votes_enabled": [optional, v.limaactiva_bool],
    }


def space_create_schema():
    return {
        "name": [required, v.limaactiva_slug],
        "title": [required, v.limaactiva_text],
        "description": [optional, v.limaactiva_long_text],
        "space_type": [required, v.limaactiva_space_type],
        "responsible_office": [required, v.limaactiva_text],
        "civic_education": [optional, v.limaactiva_long_text],
        "commitment_ref": [optional, v.limaactiva_text],
        "answer_deadline_days": [optional, v.limaactiva_deadline_days],
        "phases": phase_schema(),
    }


def space_update_schema():
    schema = space_create_schema()
    schema["id"] = [required, v.limaactiva_text]
    for field in ("name", "title", "space_type", "responsible_office"):
        schema[field] = [v.limaactiva_required_if_given] + schema[field][1:]
    return schema


def space_list_schema():
    return {"space_type": [optional, v.limaactiva_space_type], "q": [optional, v.limaactiva_text]}


# The fields of a session that its forms and ``limaactiva_session_update`` change (the
# edit form and the update action read this one list).
SESSION_FIELDS = (
    "title",
    "description",
    "modality",
    "place",
    "district",
    "online_url",
    "registration_url",
    "registration_required",
    "capacity",
    "starts_at",
    "ends_at",
)


def session_create_schema():
    return {
        "space_id": [required, v.limaactiva_text],
        "title": [required, v.limaactiva_text],
        "description": [optional, v.limaactiva_long_text],
        "modality": [required, v.limaactiva_modality],
        "place": [optional, v.limaactiva_text],
        "district": [optional, v.limaactiva_district],
        "online_url": [optional, v.limaactiva_url],
        "registration_url": [optional, v.limaactiva_url],
        "registration_required": [optional, v.limaactiva_bool],
        "capacity": [optional, v.limaactiva_natural],
        "starts_at": [required, v.limaactiva_datetime],
        "ends_at": [optional, v.limaactiva_datetime],
    }


def session_update_schema():
    schema = session_create_schema()
    schema["id"] = [required, v.limaactiva_text]
    schema["space_id"] = [optional, v.limaactiva_text]
    for field in ("title", "modality", "starts_at"):
        schema[field] = [v.limaactiva_required_if_given] + schema[field][1:]
    return schema


def session_close_schema():
    return {
        "id": [required, v.limaactiva_text],
        "report": [required, v.limaactiva_long_text],
        "attendees_count": [required, v.limaactiva_natural],
        "contributions_count": [required, v.limaactiva_natural],
        "recording_url": [optional, v.limaactiva_url],
        "proposal_ids": [optional],
        "organisations": {
            "organisation": [required, v.limaactiva_text],
            "district": [required, v.limaactiva_district],
            "people": [required, v.limaactiva_natural],
        },
    }


def proposal_create_schema():
    return {
        "space_id": [required, v.limaactiva_text],
        "title": [required, v.limaactiva_text],
        "body": [required, v.limaactiva_long_text],
        "district": [required, v.limaactiva_district],
        "theme": [required, v.limaactiva_text],
        "author_organisation": [optional, v.limaactiva_text],
        "show_author": [optional, v.limaactiva_bool],
    }


def proposal_answer_schema():
    return {
        "id": [required, v.limaactiva_text],
        "state": [required, v.limaactiva_proposal_state],
        "answer_text": [required, v.limaactiva_long_text],
        "answer_date": [optional, v.limaactiva_date],
        "commitment_milestone_ref": [optional, v.limaactiva_text],
    }


def proposal_list_schema():
    return {
        "space_id": [optional, v.limaactiva_text],
        "district": [optional, v.limaactiva_district],
        "state": [optional, v.limaactiva_proposal_state],
        "sort": [optional, v.limaactiva_text],
        "commitment": [optional, v.limaactiva_text],
    }


def comment_create_schema():
    return {
        "proposal_id": [required, v.limaactiva_text],
        "parent_id": [optional, v.limaactiva_text],
        "alignment": [required, v.limaactiva_alignment],
        "body": [required, _comment_body],
    }


def comment_update_schema():
    return {
        "id": [required, v.limaactiva_text],
        "alignment": [optional, v.limaactiva_alignment],
        "body": [required, _comment_body],
    }


def _comment_body(value):
    from ckanext.limaactiva.logic.validators import _text

    return _text(5000)(value)


def vote_cast_schema():
    return {
        "proposal_id": [required, v.limaactiva_text],
        "weight": [required, v.limaactiva_weight],
    }


def participant_update_schema():
    return {
        "dni": [optional, v.limaactiva_dni],
        "district": [optional, v.limaactiva_district],
        "public_name": [optional, v.limaactiva_text],
        "show_publicly": [optional, v.limaactiva_bool],
    }


def participant_confirm_schema():
    return {"user": [required, v.limaactiva_text]}


def email_confirm_schema():
    return {"token": [required, v.limaactiva_text]}


def snapshot_create_schema():
    return {
        "proposal_id": [optional, v.limaactiva_text],
        "snapshot_date": [optional, v.limaactiva_date],
    }


def service_create_schema():
    return {
        "name": [required, v.limaactiva_slug],
        "title": [required, v.limaactiva_text],
        "description": [optional, v.limaactiva_long_text],
        "office": [required, v.limaactiva_text],
        "channel": [required, v.limaactiva_channel],
        "requirements": [optional, v.limaactiva_long_text],
        "url": [optional, v.limaactiva_url],
    }


def service_update_schema():
    schema = service_create_schema()
    schema["id"] = [required, v.limaactiva_text]
    for field in ("name", "title", "office", "channel"):
        schema[field] = [v.limaactiva_required_if_given] + schema[field][1:]
    return schema


def service_list_schema():
    return {
        "q": [optional, v.limaactiva_text],
        "channel": [optional, v.limaactiva_channel],
    }
