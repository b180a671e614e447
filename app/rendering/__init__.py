"""Worker-side render engine: probe, analysis, browser capture, encode, pipeline.

Usable without a Flask app or a database, and imports nothing of the rest of the app:
``pipeline.render_video`` is the entry point, ``catalog`` the template catalog the API serves,
``errors`` the engine's own exceptions (``flask render`` lives in ``app/renders/cli.py``).
"""
