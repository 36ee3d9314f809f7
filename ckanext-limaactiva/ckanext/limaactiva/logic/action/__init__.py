"""Lima Activa actions: spaces, sessions, proposals, threads, 3/2/1 votes, services.

Every action follows one shape: check access, validate with a schema (Spanish messages),
do the work in CKAN's transaction, return a dict. Dicts never contain who voted, the
author's account of a proposal or comment, or any DNI material.

One module per topic; what they share is in ``logic/shared.py``. Moderation and
following have their own modules (``logic/moderation.py``, ``logic/notify.py``).
CKAN registers the names in ``__all__`` (``tk.blanket.actions``).
"""

from ckanext.limaactiva.logic.action.comments import (
    limaactiva_comment_create,
    limaactiva_comment_delete,
    limaactiva_comment_list,
    limaactiva_comment_update,
)
from ckanext.limaactiva.logic.action.open_data import (
    limaactiva_contributor_list,
    limaactiva_publish,
)
from ckanext.limaactiva.logic.action.participants import (
    limaactiva_email_confirm,
    limaactiva_email_confirmation_request,
    limaactiva_participant_confirm,
    limaactiva_participant_show,
    limaactiva_participant_update,
)
from ckanext.limaactiva.logic.action.proposals import (
    limaactiva_pending_answer_list,
    limaactiva_proposal_answer,
    limaactiva_proposal_create,
    limaactiva_proposal_list,
    limaactiva_proposal_score,
    limaactiva_proposal_show,
)
from ckanext.limaactiva.logic.action.services import (
    limaactiva_service_create,
    limaactiva_service_list,
    limaactiva_service_show,
    limaactiva_service_update,
)
from ckanext.limaactiva.logic.action.sessions import (
    limaactiva_session_close,
    limaactiva_session_create,
    limaactiva_session_list,
    limaactiva_session_register,
    limaactiva_session_show,
    limaactiva_session_unregister,
    limaactiva_session_update,
)
from ckanext.limaactiva.logic.action.spaces import (
    limaactiva_space_create,
    limaactiva_space_list,
    limaactiva_space_show,
    limaactiva_space_update,
)
from ckanext.limaactiva.logic.action.statistics import (
    limaactiva_statistics,
    limaactiva_stats_show,
)
from ckanext.limaactiva.logic.action.votes import (
    limaactiva_snapshot_create,
    limaactiva_snapshot_list,
    limaactiva_vote_cast,
    limaactiva_vote_show,
)
from ckanext.limaactiva.logic.delivery import (
    limaactiva_notice_digest_send,
    limaactiva_notice_settings_show,
    limaactiva_notice_settings_update,
    limaactiva_notice_unsubscribe,
    limaactiva_followed_announce,
)
from ckanext.limaactiva.logic.moderation import (
    limaactiva_audit_list,
    limaactiva_flag_create,
    limaactiva_flag_list,
    limaactiva_flag_resolve,
)
from ckanext.limaactiva.logic.notify import (
    limaactiva_follow,
    limaactiva_follow_list,
    limaactiva_follow_show,
    limaactiva_notification_list,
    limaactiva_notification_mark_read,
    limaactiva_phase_announce,
    limaactiva_unfollow,
    limaactiva_unfollow_by_token,
)

__all__ = [
    "limaactiva_space_create",
    "limaactiva_space_update",
    "limaactiva_space_show",
    "limaactiva_space_list",
    "limaactiva_session_create",
    "limaactiva_session_update",
    "limaactiva_session_close",
    "limaactiva_session_show",
    "limaactiva_session_list",
    "limaactiva_proposal_create",
    "limaactiva_proposal_answer",
    "limaactiva_proposal_show",
    "limaactiva_proposal_list",
    "limaactiva_proposal_score",
    "limaactiva_comment_create",
    "limaactiva_comment_update",
    "limaactiva_comment_delete",
    "limaactiva_comment_list",
    "limaactiva_vote_cast",
    "limaactiva_vote_show",
    "limaactiva_snapshot_create",
    "limaactiva_snapshot_list",
    "limaactiva_statistics",
    "limaactiva_stats_show",
    "limaactiva_participant_show",
    "limaactiva_participant_update",
    "limaactiva_participant_confirm",
    "limaactiva_email_confirmation_request",
    "limaactiva_email_confirm",
    "limaactiva_service_create",
    "limaactiva_service_update",
    "limaactiva_service_show",
    "limaactiva_service_list",
    "limaactiva_flag_create",
    "limaactiva_flag_list",
    "limaactiva_flag_resolve",
    "limaactiva_audit_list",
    "limaactiva_publish",
    "limaactiva_contributor_list",
    "limaactiva_session_register",
    "limaactiva_session_unregister",
    "limaactiva_follow",
    "limaactiva_unfollow",
    "limaactiva_follow_show",
    "limaactiva_follow_list",
    "limaactiva_unfollow_by_token",
    "limaactiva_notification_list",
    "limaactiva_notification_mark_read",
    "limaactiva_phase_announce",
    "limaactiva_pending_answer_list",
    "limaactiva_notice_settings_show",
    "limaactiva_notice_settings_update",
    "limaactiva_notice_unsubscribe",
    "limaactiva_notice_digest_send",
    "limaactiva_followed_announce",
]
