"""Survey results as open data: the rows of a survey's results CSV (one per option or
scale value, one per mean, one per published text) and the rows of ``encuestas.csv``,
every survey whose results are public, read as an anonymous visitor."""

from __future__ import annotations

import io
from typing import Iterable

import ckan.plugins.toolkit as tk
from openlima_common import spreadsheet

__all__ = ["CSV_FIELDS", "published_rows", "results_rows", "rows_to_csv"]

CSV_FIELDS = (
    "survey_id",
    "space",
    "survey",
    "status",
    "respondents",
    "question_position",
    "question",
    "kind",
    "answered",
    "option",
    "count",
    "mean",
    "text",
)


def results_rows(results_dict: dict, space_name: str) -> list[dict]:
    """One row per option or scale value, and one per published text (long format)."""
    rows = []
    base = {
        "survey_id": results_dict["survey_id"],
        "space": space_name,
        "survey": results_dict["title"],
        "status": results_dict["status"],
        "respondents": results_dict["respondents"],
    }
    for question in results_dict["questions"]:
        head = {
            **base,
            "question_position": question["position"] + 1,
            "question": question["text"],
            "kind": question["kind"],
            "answered": question["answered"],
        }
        empty = {"option": "", "count": "", "mean": "", "text": ""}
        for cell in question["counts"]:
            rows.append({**head, **empty, "option": cell["label"], "count": cell["count"]})
        if question["mean"] is not None:
            rows.append({**head, **empty, "mean": question["mean"]})
        for text in question["texts"]:
            rows.append({**head, **empty, "text": text})
        if not question["counts"] and not question["texts"]:
            rows.append({**head, **empty})
    return rows


def rows_to_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = spreadsheet.dict_writer(buffer, list(CSV_FIELDS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def published_rows() -> Iterable[dict]:
    """The results rows of every survey the public may read."""
    context = {"user": "", "ignore_auth": False}
    for survey in tk.get_action("limaactiva_survey_list")(dict(context), {}):
        if survey["results_public"]:
            results = tk.get_action("limaactiva_survey_results")(
                dict(context), {"id": survey["id"]}
            )
            yield from results_rows(results, survey["space_name"])
