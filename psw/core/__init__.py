"""Foundations every domain may use: settings, the project's paths, months, SQL helpers,
processes. Imports nothing else of psw."""
