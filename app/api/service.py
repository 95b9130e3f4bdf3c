"""Workflow endpoints for service (filled in by its issue)."""

APIS = []
