"""Render jobs over HTTP: templates, pricing, upload, status, cancel, retry (routes + schemas)."""
