"""Ingestion: every upload in every trust bucket becomes a report and, if accepted, data."""
