"""Where the site's data comes from: the CKAN Action API, or a saved JSON dump.

Only what an anonymous visitor can see is ever requested (no API token is sent),
and datasets flagged private are dropped again on arrival, so a misconfigured
CKAN cannot leak them into the site.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import msgspec
import requests

__all__ = ["Catalogue", "CkanError", "CkanSource", "OPTIONAL_ACTIONS", "load_dump", "save_dump"]

# Actions other Open Lima plugins provide; the site shows their pages only when they answer.
OPTIONAL_ACTIONS = (
    "openlima_plan_show",
    "openlima_commitment_list",
    "openlima_compliance_summary",
    "openlima_metrics_show",
    "limaactiva_service_list",
)

Progress = Callable[[str, int, int], None]
# Rows of each loaded resource shown on its dataset's page
PREVIEW_ROWS = 10


class CkanError(Exception):
    """CKAN could not be read; the message is meant for the person running the build."""


@dataclass
class Catalogue:
    """Everything public the site renders."""

    datasets: list[dict[str, Any]] = field(default_factory=list)
    organizations: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    # action name -> result, only for the optional actions that answered
    extras: dict[str, Any] = field(default_factory=dict)
    # file name -> text of the DCAT catalogue copies (catalog.ttl, catalog.jsonld, ...)
    dcat: dict[str, str] = field(default_factory=dict)


def _silent(stage: str, done: int, total: int) -> None:
    return None


class CkanSource:
    """Reads a CKAN site through its Action API as an anonymous visitor."""

    def __init__(self, url: str, page_size: int = 1000, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.page_size = page_size
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "openlima-site/0.1"
        self.warnings: list[str] = []

    def action(self, name: str, optional: bool = False, **params: Any) -> Any:
        """Call an action anonymously; ``optional`` actions that CKAN does not know give None."""
        endpoint = f"{self.url}/api/3/action/{name}"
        try:
            # POST: CKAN refuses GET for actions not marked side-effect free.
            response = self.http.post(endpoint, json=params, timeout=self.timeout)
        except requests.RequestException as error:
            raise CkanError(
                f"No se pudo conectar con CKAN en {self.url} ({name}): {error}"
            ) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("success") is True:
            return body.get("result")
        if isinstance(body, dict):
            err = body.get("error") if isinstance(body.get("error"), dict) else {}
            message = str(err.get("message") or body.get("error") or "")
        else:
            err, message = {}, str(body if body is not None else response.text[:200])
        if optional and response.status_code in (400, 404) and (
            "not known" in message.lower() or "not found" in message.lower() or body is None
        ):
            return None
        if optional and response.status_code in (403, 409):
            # Not public, or it wants parameters we do not know: nothing to publish.
            self.warnings.append(f"{name}: {response.status_code} {message}")
            return None
        detail = message or err or response.text[:200]
        raise CkanError(
            f"CKAN respondió {response.status_code} a {name} en {self.url}: {detail}"
        )

    def fetch(self, progress: Progress = _silent, include_dcat: bool = True) -> Catalogue:
        """All public datasets (paged ``package_search``), offices, groups and optional data.

        ``include_dcat=False`` leaves the DCAT copies out (the builder fetches them only
        when a dataset changed: at 100 datasets per page they are the slowest part).
        """
        catalogue = Catalogue()
        start, total, shared = 0, None, {}
        while total is None or start < total:
            result = self.action(
                "package_search",
                q="*:*",
                rows=self.page_size,
                start=start,
                sort="name asc",
                include_private=False,
            )
            total = int(result["count"])
            page = result["results"]
            public = [d for d in page if not d.get("private")]
            share_repeated(public, shared)
            catalogue.datasets += public
            start += self.page_size
            progress("datasets", min(start, total), total)
            if not page:
                break
        self.fetch_previews(catalogue.datasets, progress)
        catalogue.organizations = self.action(
            "organization_list", all_fields=True, include_extras=True, limit=1000
        ) or []
        catalogue.groups = self.action(
            "group_list", all_fields=True, include_extras=True, limit=1000
        ) or []
        progress("organizations", 1, 1)
        for name in OPTIONAL_ACTIONS:
            result = self.action(name, optional=True)
            if result is not None:
                catalogue.extras[name] = result
        self.fetch_participation(catalogue)
        progress("extras", 1, 1)
        if include_dcat:
            catalogue.dcat = self.fetch_dcat()
            progress("dcat", 1, 1)
        return catalogue

    def fetch_participation(self, catalogue: Catalogue) -> None:
        """Lima Activa's public spaces and their sessions, when the plugin answers: the
        district pages list the spaces that meet in each district. Only what the
        portal shows anybody: titles, places, dates, never participants."""
        spaces = self.action("limaactiva_space_list", optional=True)
        if not isinstance(spaces, list):
            return
        sessions = []
        for space in spaces:
            if not isinstance(space, dict) or not space.get("name"):
                continue
            found = self.action("limaactiva_session_list", optional=True, space_id=space["name"])
            for session in found if isinstance(found, list) else []:
                if isinstance(session, dict) and session.get("district"):
                    sessions.append({key: session.get(key) for key in (
                        "id", "title", "place", "district", "starts_at", "closed")}
                        | {"space": space["name"]})
        catalogue.extras["limaactiva_space_list"] = [
            {key: space.get(key) for key in ("name", "title", "description")}
            for space in spaces if isinstance(space, dict) and space.get("name")]
        catalogue.extras["limaactiva_session_list"] = sessions

    def fetch_previews(self, datasets: list[dict[str, Any]],
                       progress: Progress = _silent) -> None:
        """First rows, columns (with their data dictionary descriptions) and row count of
        every resource loaded into CKAN's DataStore, as ``resource["datastore_preview"]``
        (part of the dataset's fingerprint, so a reload re-renders its page)."""
        loaded = [resource for dataset in datasets for resource in dataset.get("resources") or []
                  if resource.get("datastore_active")]
        for done, resource in enumerate(loaded, 1):
            try:
                result = self.action("datastore_search", optional=True,
                                     resource_id=resource["id"], limit=PREVIEW_ROWS,
                                     include_total=True)
            except CkanError as error:
                self.warnings.append(f"datastore_search {resource['id']}: {error}")
                result = None
            if result:
                fields = [{"id": f["id"], "type": f.get("type", ""),
                           "label": (f.get("info") or {}).get("label") or "",
                           "description": (f.get("info") or {}).get("notes") or ""}
                          for f in result.get("fields", []) if f.get("id") != "_id"]
                resource["datastore_preview"] = {
                    "fields": fields,
                    "records": [[record.get(f["id"]) for f in fields]
                                for record in result.get("records", [])],
                    "total": result.get("total"),
                }
            progress("previews", done, len(loaded))

    def fetch_dcat(self) -> dict[str, str]:
        """Copies of CKAN's DCAT catalogue, every page, as served by ckanext-dcat."""
        copies: dict[str, str] = {}
        for ext in ("ttl", "jsonld", "rdf"):
            page = 1
            while page <= 1000:
                endpoint = f"{self.url}/catalog.{ext}"
                try:
                    response = self.http.get(
                        endpoint, params={"page": page} if page > 1 else None,
                        timeout=self.timeout,
                    )
                except requests.RequestException as error:
                    raise CkanError(
                        f"No se pudo descargar el catálogo DCAT de {endpoint}: {error}"
                    ) from error
                if response.status_code == 404 and page == 1:
                    break  # ckanext-dcat is not enabled
                if response.status_code != 200:
                    raise CkanError(
                        f"CKAN respondió {response.status_code} a {endpoint}?page={page}"
                    )
                name = f"catalog.{ext}" if page == 1 else f"catalog-{page}.{ext}"
                # RDF is UTF-8 whatever the Content-Type says (Turtle often has no charset).
                text = response.content.decode("utf-8", errors="replace")
                copies[name] = text
                if f"page={page + 1}" not in text:
                    break
                page += 1
        return copies


def save_dump(catalogue: Catalogue, path: Path) -> None:
    path.write_text(json.dumps(asdict(catalogue), ensure_ascii=False), encoding="utf-8")


def load_dump(path: Path) -> Catalogue:
    # From the bytes, not a str of the whole file: at 100,000 datasets the str alone
    # was hundreds of MB on top of the catalogue (the builder's peak memory).
    data = msgspec.json.decode(Path(path).read_bytes())
    catalogue = Catalogue(**data)
    catalogue.datasets = [d for d in catalogue.datasets if not d.get("private")]
    share_repeated(catalogue.datasets)
    return catalogue


def share_repeated(datasets: list[dict[str, Any]], cache: dict[str, str] | None = None) -> None:
    """One string object per repeated short value (licences, states, formats, URIs,
    office names): decoded JSON makes a new one for each occurrence, a third of the
    catalogue's memory, which is most of the builder's peak at 100,000 datasets (#20)."""
    cache = {} if cache is None else cache

    def share(value: Any) -> Any:
        if isinstance(value, str):
            return cache.setdefault(value, value) if len(value) <= 100 else value
        if isinstance(value, dict):
            for key, item in value.items():  # same keys: the dict's size does not change
                value[key] = share(item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                value[index] = share(item)
        return value

    for dataset in datasets:
        share(dataset)
