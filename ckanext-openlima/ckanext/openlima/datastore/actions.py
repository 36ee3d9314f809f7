"""Chained DataStore actions: the read-only SQL endpoint with Open Lima's limits and
messages, and the list of DataStore tables kept for administrators."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import authz  # the sysadmin test CKAN's own auth layer uses

__all__ = ["datastore_search_sql", "datastore_search", "datastore_info", "datastore_create",
           "xloader_hook"]

TABLE_LIST = "_table_metadata"


@tk.chained_action
@tk.side_effect_free
def datastore_search_sql(up_func, context, data_dict):
    """CKAN's ``datastore_search_sql`` (read-only role, tables checked one by one against
    the caller's rights, at most ``ckan.datastore.search.rows_max`` rows) with a statement
    timeout of ``ckanext.openlima.datastore_sql_timeout_ms``, and errors that say what is
    wrong in the caller's language instead of PostgreSQL's text and the statement."""
    context["query_timeout"] = tk.config["ckanext.openlima.datastore_sql_timeout_ms"]
    try:
        return up_func(context, data_dict)
    except tk.NotAuthorized:
        # a table the caller may not read is answered as one that does not exist
        raise tk.ObjectNotFound() from None
    except tk.ValidationError as error:
        errors = error.error_dict or {}
        if errors.get("query") == ["Query took too long"]:
            seconds = tk.config["ckanext.openlima.datastore_sql_timeout_ms"] / 1000
            message = tk._("La consulta tardó más de {seconds} segundos y se canceló.").format(
                seconds=f"{seconds:g}")
        elif "sql" in errors and "query" not in errors:
            raise
        else:
            message = tk._(
                "La consulta no es válida: solo se admite una sentencia SELECT sobre tablas "
                "del DataStore que existan, con las funciones permitidas.")
        raise tk.ValidationError({"sql": [message]})


@tk.chained_action
@tk.side_effect_free
def datastore_search(up_func, context, data_dict):
    """CKAN's ``datastore_search``; the list of every DataStore table (which names the
    resources of private datasets too) only for sysadmins; a table the caller may not
    read answers as one that does not exist."""
    if data_dict.get("resource_id") == TABLE_LIST:
        # CKAN skips its auth check for this name (and then refuses to answer anyone):
        # sysadmins only, and the check CKAN's action audit expects
        if not authz.is_sysadmin(context.get("user")):
            raise tk.NotAuthorized(tk._("No tiene permiso para ver la lista de tablas."))
        tk.check_access("datastore_search", context, data_dict)
    return _hidden_as_missing(up_func, context, data_dict)


@tk.chained_action
@tk.side_effect_free
def datastore_info(up_func, context, data_dict):
    """CKAN's ``datastore_info``; a table the caller may not read is one that does not
    exist (as for ``datastore_search``)."""
    return _hidden_as_missing(up_func, context, data_dict)


def _hidden_as_missing(up_func, context, data_dict):
    """The table of a resource the caller may not read answers as a missing one: the same
    404 and message, with nothing of what was asked echoed (#12 §1)."""
    try:
        return up_func(context, data_dict)
    except (tk.NotAuthorized, tk.ObjectNotFound):
        raise tk.ObjectNotFound(tk._("No se encontró el recurso en el DataStore.")) from None


@tk.chained_action
def datastore_create(up_func, context, data_dict):
    """CKAN's ``datastore_create``; when a person saves a table's data dictionary (fields
    without records), the dataset's dictionary is rewritten from it (datastore/dictionary.py)."""
    from ckanext.openlima.datastore import dictionary

    result = up_func(context, data_dict)
    site_user = tk.config.get("ckan.site_id")
    if (data_dict.get("fields") and not data_dict.get("records")
            and not context.get(dictionary.SYNC_FLAG)
            and context.get("user") not in (None, "", site_user)):
        resource = tk.get_action("resource_show")(
            {"ignore_auth": True}, {"id": data_dict.get("resource_id")})
        dictionary.sync_dataset(resource["package_id"])
    return result


@tk.chained_action
def xloader_hook(up_func, context, data_dict):
    """xloader's status callback; when a load ends in error and left an empty table
    (xloader creates or empties the table before ``COPY``), the table goes: the resource
    is then not "loaded" (no empty preview, no empty API answer presented as its data).
    A failed download leaves an earlier, complete table as it was."""
    result = up_func(context, data_dict)
    if data_dict.get("status") == "error":
        resource_id = (data_dict.get("metadata") or {}).get("resource_id")
        if resource_id:
            _drop_if_empty(resource_id)
    return result


def _drop_if_empty(resource_id: str) -> None:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    context = {"user": site_user["name"], "ignore_auth": True}
    try:
        rows = tk.get_action("datastore_search")(
            dict(context), {"resource_id": resource_id, "limit": 0})
    except (tk.ObjectNotFound, tk.ValidationError):
        return
    if rows.get("total") == 0:
        tk.get_action("datastore_delete")(
            dict(context), {"resource_id": resource_id, "force": True})
