"""Dagster orchestration of the platform: ingestion, transformation and publishing.

Laid out by domain (one folder each, with the same file names: assets, resources,
sensors, partitions) and composed once in `orchestration.definitions`.
"""
