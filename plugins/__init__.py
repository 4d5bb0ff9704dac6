"""Cross-cutting plugins shipped with duban (document readers, scoring schemes, exporters)."""
