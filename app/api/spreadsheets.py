"""Workflow endpoints for spreadsheets (filled in by its issue)."""

APIS = []
