"""Worker-side render engine: probe, analysis, browser capture, encode, pipeline.

Usable without a Flask app or a database: ``pipeline.render_video`` is the entry point,
``catalog`` the template catalog the API serves, ``cli.render_command`` the ``flask render`` command.
"""
