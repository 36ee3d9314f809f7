"""Loads the demo catalogue (``demo/data/*.yaml`` + ``demo/files/``) through the Action API.

Everything goes through ``tk.get_action`` as the site user (a sysadmin), so CKAN's
validation, the scheming/DCAT schema and the search index see the demo data exactly as
they see a data officer's. Loading is idempotent: organisations, groups, datasets and
resources that already exist (by name) are left alone and only what is missing is added.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml
from werkzeug.datastructures import FileStorage

import ckan.plugins.toolkit as tk

__all__ = ["load_demo", "DemoReport", "demo_datasets", "DATA_DIR", "FILES_DIR"]

DATA_DIR = Path(__file__).parent / "data"
FILES_DIR = Path(__file__).parent / "files"

EU_AUTHORITY = "http://publications.europa.eu/resource/authority"
LANGUAGE_SPANISH = f"{EU_AUTHORITY}/language/SPA"
ACCESS_PUBLIC = f"{EU_AUTHORITY}/access-right/PUBLIC"
ACCESS_NON_PUBLIC = f"{EU_AUTHORITY}/access-right/NON_PUBLIC"
PUBLISHER_LOCAL_AUTHORITY = "http://purl.org/adms/publishertype/LocalAuthority"
# The MML schema keeps the readable algorithm name; the DCAT profile exports the SPDX URI.
SHA256 = "sha256"
MML_HOMEPAGE = "https://www.munlima.gob.pe"
LIMA_METROPOLITANA = "1501"
DEFAULT_LICENSE = "cc-by"
PROVENANCE = (
    "Datos de demostración escritos para el portal Open Lima; las cifras son ilustrativas "
    "y no constituyen estadísticas oficiales de la Municipalidad Metropolitana de Lima."
)

MEDIA_TYPES = {
    "CSV": "text/csv",
    "JSON": "application/json",
    "GeoJSON": "application/geo+json",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ODS": "application/vnd.oasis.opendocument.spreadsheet",
    "PDF": "application/pdf",
    "TXT": "text/plain",
    "XML": "application/xml",
}

Echo = Callable[[str], Any]


@dataclass
class DemoReport:
    """What one load did: names created, names already there, and failures."""

    created: dict[str, list[str]] = field(
        default_factory=lambda: {
            "organization": [],
            "group": [],
            "dataset": [],
            "resource": [],
        }
    )
    existing: dict[str, list[str]] = field(
        default_factory=lambda: {
            "organization": [],
            "group": [],
            "dataset": [],
            "resource": [],
        }
    )
    errors: list[str] = field(default_factory=list)
    skipped_not_empty: bool = False

    def summary(self) -> str:
        if self.skipped_not_empty:
            return (
                "El catálogo no está vacío: no se cargó la demostración (--if-empty)."
            )
        made = self.created
        return (
            f"Demostración cargada: {len(made['organization'])} organizaciones, "
            f"{len(made['group'])} grupos, {len(made['dataset'])} conjuntos de datos y "
            f"{len(made['resource'])} recursos nuevos; ya existían "
            f"{len(self.existing['dataset'])} conjuntos de datos. Errores: {len(self.errors)}."
        )


def _read_yaml(name: str) -> list[dict[str, Any]]:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or []


def demo_organizations() -> list[dict[str, Any]]:
    return _read_yaml("organizations.yaml")


def demo_groups() -> list[dict[str, Any]]:
    return _read_yaml("groups.yaml")


def demo_datasets() -> list[dict[str, Any]]:
    return _read_yaml("datasets.yaml")


def _districts_file() -> Path:
    configured = tk.config.get("ckanext.openlima.vocabularies_dir")
    if configured:
        return Path(configured) / "districts.csv"
    # ckanext-openlima/ckanext/openlima/demo/ -> repository root
    return (
        Path(__file__).resolve().parents[4]
        / "config"
        / "vocabularies"
        / "districts.csv"
    )


def district_names() -> dict[str, str]:
    """UBIGEO -> district name, from the shared ``config/vocabularies/districts.csv``."""
    import csv

    names = {LIMA_METROPOLITANA: "Lima Metropolitana"}
    with open(_districts_file(), newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names[row["ubigeo"].strip()] = row["name"].strip()
    return names


def _column_type(values: list[str]) -> str:
    """The MML data-dictionary type that fits every non-empty sample value."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return "texto"

    def all_match(pattern: str) -> bool:
        import re

        return all(re.fullmatch(pattern, v) for v in values)

    if all_match(r"-?\d+"):
        return "entero"
    if all_match(r"-?\d+[.,]\d+|-?\d+"):
        return "decimal"
    if all_match(r"\d{4}-\d{2}-\d{2}"):
        return "fecha"
    if all_match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?"):
        return "fecha_hora"
    if all(v.lower() in ("si", "sí", "no", "true", "false") for v in values):
        return "booleano"
    return "texto"


def data_dictionary(entry: dict[str, Any]) -> list[dict[str, str]]:
    """Columns of the dataset's first CSV file, typed from its rows (empty without CSV)."""
    import csv

    for resource in entry.get("resources", []):
        if resource["format"] != "CSV":
            continue
        text = (FILES_DIR / resource["file"]).read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        header, body = rows[0], rows[1:]
        return [
            {
                "column": column,
                "type": _column_type([row[i] for row in body if i < len(row)]),
                "description": column.replace("_", " ").capitalize(),
            }
            for i, column in enumerate(header)
        ]
    return []


def _iso(value: Any) -> str:
    return (
        value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
    )


def _context(user: str) -> dict[str, Any]:
    # A fresh context per call: CKAN actions write into the context they receive.
    return {"user": user}


class _Loader:
    def __init__(self, echo: Echo) -> None:
        self.echo = echo
        self.report = DemoReport()
        self.user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        self.organizations = {org["name"]: org for org in demo_organizations()}
        # offices a user deleted: respected, and their demo datasets are not recreated
        self.deleted_organizations: set[str] = set()
        self.districts = district_names()
        base = (
            tk.config.get("ckanext.dcat.base_uri")
            or tk.config.get("ckan.site_url")
            or ""
        )
        self.base_uri = base.rstrip("/")

    def call(self, action: str, data: dict[str, Any]) -> dict[str, Any]:
        return tk.get_action(action)(_context(self.user), data)

    def exists(self, action: str, name: str, **extra: Any) -> dict[str, Any] | None:
        try:
            return self.call(action, {"id": name, **extra})
        except tk.ObjectNotFound:
            return None

    def catalogue_size(self) -> int:
        result = self.call(
            "package_search",
            {"q": "*:*", "rows": 0, "include_private": True, "include_drafts": True},
        )
        return int(result["count"])

    # -- organisations and groups -----------------------------------------------------
    def ensure_organizations(self) -> None:
        for org in self.organizations.values():
            found = self.exists(
                "organization_show", org["name"], include_datasets=False
            )
            if found:
                self.report.existing["organization"].append(org["name"])
                if found.get("state") == "deleted":
                    self.deleted_organizations.add(org["name"])
                    self.echo(
                        f"  {org['name']}: organización borrada por un usuario; "
                        "no se crean sus conjuntos de datos"
                    )
                continue
            self.call(
                "organization_create",
                {
                    "name": org["name"],
                    "title": org["title"],
                    "description": org["description"],
                },
            )
            self.report.created["organization"].append(org["name"])
            self.echo(f"  organización creada: {org['title']}")

    def ensure_groups(self) -> None:
        for group in demo_groups():
            if self.exists("group_show", group["name"], include_datasets=False):
                self.report.existing["group"].append(group["name"])
                continue
            self.call(
                "group_create",
                {
                    "name": group["name"],
                    "title": group["title"],
                    "description": group["description"],
                },
            )
            self.report.created["group"].append(group["name"])
            self.echo(f"  grupo creado: {group['title']}")

    # -- datasets ------------------------------------------------------------------------
    def spatial_coverage(self, codes: list[str]) -> list[dict[str, str]]:
        coverage = []
        for code in codes:
            code = str(code)
            name = self.districts[code]
            coverage.append(
                {"uri": f"{self.base_uri}/ubigeo/{code}", "text": f"{name} ({code})"}
            )
        return coverage

    def dataset_dict(self, entry: dict[str, Any]) -> dict[str, Any]:
        org = self.organizations[entry["organization"]]
        private = bool(entry.get("private", False))
        data: dict[str, Any] = {
            "name": entry["name"],
            "title": entry["title"],
            "notes": entry["notes"],
            "owner_org": org["name"],
            "private": private,
            "license_id": entry.get("license_id", DEFAULT_LICENSE),
            "tags": [{"name": tag} for tag in entry.get("tags", [])],
            "groups": [{"name": group} for group in entry.get("groups", [])],
            "identifier": entry["identifier"],
            "issued": _iso(entry["issued"]),
            "modified": _iso(entry["modified"]),
            "theme": [
                f"{EU_AUTHORITY}/data-theme/{code}" for code in entry.get("themes", [])
            ],
            "frequency": f"{EU_AUTHORITY}/frequency/{entry['frequency']}",
            "language": [LANGUAGE_SPANISH],
            "access_rights": ACCESS_NON_PUBLIC if private else ACCESS_PUBLIC,
            "provenance": PROVENANCE,
            "contact": [{"name": org["title"], "email": org["email"]}],
            "publisher": [
                {
                    "name": "Municipalidad Metropolitana de Lima - " + org["title"],
                    "email": org["email"],
                    "url": MML_HOMEPAGE,
                    "type": PUBLISHER_LOCAL_AUTHORITY,
                }
            ],
            "spatial_coverage": self.spatial_coverage(
                entry.get("districts", [LIMA_METROPOLITANA])
            ),
            # MML schema: districts by INEI UBIGEO, and a data dictionary for tabular data
            "spatial_ubigeo": [
                str(code) for code in entry.get("districts", [LIMA_METROPOLITANA])
            ],
            "data_dictionary": data_dictionary(entry),
        }
        if entry.get("temporal"):
            data["temporal_coverage"] = [
                {
                    "start": _iso(entry["temporal"]["start"]),
                    "end": _iso(entry["temporal"]["end"]),
                }
            ]
        if entry.get("version"):
            data["version"] = str(entry["version"])
        return data

    def resource_dict(
        self, dataset: dict[str, Any], entry: dict[str, Any], resource: dict[str, Any]
    ) -> dict[str, Any]:
        content = (FILES_DIR / resource["file"]).read_bytes()
        media_type = resource.get("mimetype") or MEDIA_TYPES[resource["format"]]
        return {
            "package_id": dataset["id"],
            "name": resource["name"],
            "description": resource.get("description", ""),
            "format": resource["format"],
            "mimetype": media_type,
            "size": len(content),
            "hash": hashlib.sha256(content).hexdigest(),
            "hash_algorithm": SHA256,
            "language": [LANGUAGE_SPANISH],
            "issued": _iso(entry["issued"]),
            "modified": _iso(entry["modified"]),
            "upload": FileStorage(
                stream=io.BytesIO(content),
                filename=resource["file"],
                content_type=media_type,
            ),
        }

    def ensure_dataset(self, entry: dict[str, Any]) -> None:
        name = entry["name"]
        if entry["organization"] in self.deleted_organizations:
            return
        dataset = self.exists("package_show", name)
        if dataset and dataset.get("state") == "deleted":
            self.report.existing["dataset"].append(name)
            self.echo(
                f"  {name}: borrado por un usuario, se respeta y no se vuelve a crear"
            )
            return
        if dataset:
            self.report.existing["dataset"].append(name)
        else:
            dataset = self.call("package_create", self.dataset_dict(entry))
            self.report.created["dataset"].append(name)
        present = {resource.get("name") for resource in dataset.get("resources", [])}
        added = 0
        for resource in entry.get("resources", []):
            if resource["name"] in present:
                self.report.existing["resource"].append(f"{name}/{resource['name']}")
                continue
            self.call("resource_create", self.resource_dict(dataset, entry, resource))
            self.report.created["resource"].append(f"{name}/{resource['name']}")
            added += 1
        if name in self.report.created["dataset"]:
            self.echo(
                f"  conjunto de datos creado: {entry['title']} ({added} recursos)"
            )
        elif added:
            self.echo(
                f"  {name}: ya existía; se añadieron {added} recursos que faltaban"
            )

    def run(self, if_empty: bool) -> DemoReport:
        if if_empty:
            size = self.catalogue_size()
            if size:
                self.report.skipped_not_empty = True
                self.echo(
                    f"El catálogo ya tiene {size} conjuntos de datos; nada que hacer."
                )
                return self.report
        self.echo("Cargando el catálogo de demostración de Open Lima...")
        self.ensure_organizations()
        self.ensure_groups()
        for entry in demo_datasets():
            try:
                self.ensure_dataset(entry)
            except tk.ValidationError as error:
                message = f"{entry['name']}: {error.error_dict}"
                self.report.errors.append(message)
                self.echo(f"  ERROR {message}")
        self.echo(self.report.summary())
        return self.report


def load_demo(if_empty: bool = False, echo: Echo = print) -> DemoReport:
    """Load (or complete) the demo catalogue.

    :param if_empty: do nothing when the catalogue already holds any dataset
    :param echo: receives one progress line at a time
    :returns: a :class:`DemoReport` of what was created, found and failed
    """
    return _Loader(echo).run(if_empty)
