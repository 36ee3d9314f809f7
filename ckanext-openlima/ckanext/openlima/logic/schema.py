"""Input schemas of the catalogue actions."""
from __future__ import annotations

import ckan.plugins.toolkit as tk

__all__ = ["compliance_show", "compliance_summary", "links_check", "metrics_show", "rating_create"]


@tk.validator_args
def compliance_show(not_empty, unicode_safe):
    return {"id": [not_empty, unicode_safe]}


@tk.validator_args
def compliance_summary(ignore_missing, unicode_safe, boolean_validator):
    return {"organization": [ignore_missing, unicode_safe],
            "include_private": [ignore_missing, boolean_validator]}


@tk.validator_args
def links_check(not_empty, unicode_safe, ignore_missing, boolean_validator):
    return {"id": [not_empty, unicode_safe], "background": [ignore_missing, boolean_validator]}


@tk.validator_args
def metrics_show(ignore_missing, unicode_safe):
    return {"id": [ignore_missing, unicode_safe], "organization": [ignore_missing, unicode_safe]}


@tk.validator_args
def rating_create(not_empty, unicode_safe, int_validator):
    return {"id": [not_empty, unicode_safe], "rating": [not_empty, int_validator]}
