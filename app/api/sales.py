"""Workflow endpoints for sales (filled in by its issue)."""

APIS = []
