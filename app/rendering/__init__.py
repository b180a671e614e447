"""Worker-side render engine: probe, analysis, browser capture, encode, pipeline.

Usable without a Flask app or a database, and imports nothing of the rest of the app:
``pipeline.render_video`` is the entry point, ``catalog`` the template catalog the API serves,
``errors`` the engine's own exceptions (``flask render`` lives in ``app/renders/cli.py``).
"""

#: The version of what a config draws. Bump it whenever the same config and audio would give
#: different pixels or sound (a template, the layout, captions, encoder settings): renders made
#: by another version are never reused for an identical request (``app/renders/render_cache.py``).
ENGINE_VERSION = "2026.12.2"
