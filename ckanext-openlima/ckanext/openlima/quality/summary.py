"""Compliance per dataset, per office and city-wide, from what ``package_search`` shows.

Datasets come from ``package_search`` with the caller's own context, so a private
dataset only counts for someone allowed to see it, never in a public summary.
"""
from __future__ import annotations

import collections
import datetime
from typing import Any, Iterator

import ckan.plugins.toolkit as tk
from openlima_common import clock

from ckanext.openlima.quality import checks
from ckanext.openlima.quality.model import LinkCheck

__all__ = ["datasets", "summarise", "dataset_compliance"]

PAGE = 500


def datasets(context: dict, organization: str | None = None, include_private: bool = False) -> Iterator[dict]:
    search = tk.get_action("package_search")
    start = 0
    fq = "+dataset_type:dataset"
    if organization:
        fq += f' +organization:"{organization}"'
    while True:
        result = search(dict(context), {"q": "*:*", "fq": fq, "rows": PAGE, "start": start,
                                        "include_private": include_private, "sort": "name asc"})
        yield from result["results"]
        start += PAGE
        if start >= result["count"]:
            return


def dataset_compliance(dataset: dict, today: datetime.date | None = None) -> dict[str, Any]:
    links = {k: v.as_dict() for k, v in LinkCheck.for_packages([dataset["id"]]).items()}
    result = checks.evaluate(dataset, links, today=today)
    result["link_checks"] = list(links.values())
    return result


def _office_entry(name: str, title: str, results: list[dict]) -> dict[str, Any]:
    failed = collections.Counter()
    titles = {}
    for result in results:
        for check in result["checks"]:
            if not check["passed"]:
                failed[check["id"]] += 1
                titles[check["id"]] = check["title"]
    compliant = sum(r["compliant"] for r in results)
    return {
        "name": name,
        "title": title,
        "datasets": len(results),
        "compliant": compliant,
        "compliant_share": round(100.0 * compliant / len(results), 1) if results else 0.0,
        "average_score": round(sum(r["score"] for r in results) / len(results), 1) if results else 0.0,
        "overdue": [{"name": r["name"], "title": r["title"], "last_update": r["freshness"]["last_update"],
                     "due": r["freshness"]["due"]} for r in results if r["overdue"]],
        "most_failed": [{"id": key, "title": titles[key], "count": count}
                        for key, count in sorted(failed.items(), key=lambda item: (-item[1], item[0]))[:5]],
    }


def summarise(context: dict, organization: str | None = None, include_private: bool = False,
              today: datetime.date | None = None) -> dict[str, Any]:
    found = list(datasets(context, organization, include_private))
    links = {k: v.as_dict() for k, v in LinkCheck.for_packages([d["id"] for d in found]).items()}
    results = []
    by_office: dict[str, list[dict]] = collections.defaultdict(list)
    office_titles: dict[str, str] = {}
    for dataset in found:
        result = checks.evaluate(dataset, links, today=today)
        results.append(result)
        org = dataset.get("organization") or {}
        by_office[org.get("name") or ""].append(result)
        office_titles[org.get("name") or ""] = org.get("title") or org.get("name") or "Sin oficina"

    offices = [_office_entry(name, office_titles[name], rows) for name, rows in by_office.items()]
    offices.sort(key=lambda o: (-o["compliant_share"], -o["average_score"], o["title"]))
    for rank, office in enumerate(offices, start=1):
        office["rank"] = rank
    city = _office_entry("", "Lima Metropolitana", results)
    summary = {
        "generated": clock.utcnow().isoformat(timespec="seconds"),
        "threshold": int(tk.config.get("ckanext.openlima.compliance_threshold")),
        "organization": organization,
        "totals": {key: city[key] for key in ("datasets", "compliant", "compliant_share", "average_score")},
        "overdue": city["overdue"],
        "most_failed": city["most_failed"],
        "offices": offices,
    }
    summary["totals"]["overdue"] = len(city["overdue"])
    if organization:
        summary["datasets"] = [
            {key: r[key] for key in ("name", "title", "score", "compliant", "overdue")}
            | {"failed": [c["title"] for c in r["checks"] if not c["passed"]]}
            for r in sorted(results, key=lambda r: (r["score"], r["name"]))
        ]
    return summary
