"""Who may harvest: sysadmins and the admins of the source's office.

ckanext-harvest lets whoever may create or edit datasets in an organization (editors
included) register and run its harvest sources. A source decides what appears under an
office's name, so Open Lima narrows it to that office's admins (and sysadmins). Reading
jobs and reports follows ``harvest_source_update``, as in ckanext-harvest.
"""
from __future__ import annotations

import ckan.authz as authz  # office roles, read as CKAN's own auth functions read them
import ckan.model as model
import ckan.plugins.toolkit as tk

__all__ = ["package_create", "package_update", "package_delete", "harvest_job_create"]


def _office_admin(context: dict, organization_id: str | None) -> dict:
    user = model.User.get(context.get("user") or "")
    if user is not None and user.sysadmin:
        return {"success": True}
    organization = model.Group.get(organization_id) if organization_id else None
    if user is not None and organization is not None and authz.users_role_for_group_or_org(
            organization.id, user.name) == "admin":
        return {"success": True}
    return {"success": False, "msg": tk._(
        "Solo un administrador del sistema o de la oficina de la fuente puede registrar, "
        "cambiar o ejecutar fuentes de cosecha.")}


def _source_organization(source_id: str | None) -> str | None:
    source = model.Package.get(source_id or "")
    return source.owner_org if source is not None else None


def _is_source(context: dict, data_dict: dict) -> tuple[bool, str | None]:
    """(is this a harvest source, its office) for package_* checks."""
    package = context.get("package") or model.Package.get((data_dict or {}).get("id") or "")
    if package is not None:
        return package.type == "harvest", package.owner_org
    return False, None


# ckanext-harvest's harvest_source_* actions and its /harvest forms go through package_*,
# so the rule is bound there, for the dataset type "harvest" only.
@tk.chained_auth_function
def package_create(next_auth, context, data_dict):
    if (data_dict or {}).get("type") != "harvest":
        return next_auth(context, data_dict)
    if not data_dict.get("owner_org") and authz.has_user_permission_for_some_org(
            context.get("user"), "admin"):
        return {"success": True}  # an office admin who forgot the office: the action says so
    return _office_admin(context, data_dict.get("owner_org"))


@tk.chained_auth_function
def package_update(next_auth, context, data_dict):
    is_source, office = _is_source(context, data_dict)
    if not is_source:
        return next_auth(context, data_dict)
    allowed = _office_admin(context, office)
    if allowed["success"] and (data_dict or {}).get("owner_org"):
        allowed = _office_admin(context, data_dict["owner_org"])  # nor move it to another office
    return allowed


@tk.chained_auth_function
def package_delete(next_auth, context, data_dict):
    is_source, office = _is_source(context, data_dict)
    return _office_admin(context, office) if is_source else next_auth(context, data_dict)


@tk.chained_auth_function
def harvest_job_create(next_auth, context, data_dict):
    return _office_admin(context, _source_organization((data_dict or {}).get("source_id")))
