"""Compliance of datasets and offices with the MML publication guidelines."""
