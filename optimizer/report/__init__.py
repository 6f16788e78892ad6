"""Workbooks written for people: target paths, the writer, bulk rows, dashboards, and the
plan and what-if books."""
