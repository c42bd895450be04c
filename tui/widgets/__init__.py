"""Widgets grouped by area: search (box, status, filters) and records (tables, texts)."""
