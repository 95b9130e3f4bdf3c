"""Workflow endpoints for churn (filled in by its issue)."""

APIS = []
