"""Typed errors of the render engine; it knows nothing of HTTP.

Every one carries a ``code`` and a ``message`` that are safe to show to a user.
``InvalidInput`` and its kinds say the audio or the config cannot be rendered (the caller's
input is at fault: ``fields`` names the bad fields, ``details`` adds facts such as a limit);
the web app maps them to API errors (``app/renders/errors.py``). ``RenderFailed`` and
``RenderTimeout`` happen inside a render (the render task stores the code and message on the
job row); ``RenderCanceled`` is not a failure.
"""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    """Base of the engine's errors."""

    code = "engine_error"
    message = "The render engine could not do this."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 details: dict[str, Any] | None = None, fields: dict[str, list[str]] | None = None,
                 detail: str | None = None):
        self.message = message or self.message
        self.code = code or self.code
        self.details = dict(details or {})
        self.fields = dict(fields or {})
        #: internal detail for logs (stderr tail, JS error); never shown to users
        self.detail = detail
        super().__init__(self.message)


class InvalidInput(EngineError):
    """The audio or the render config cannot be rendered as given."""

    code = "invalid_input"
    message = "The input cannot be rendered."


class AudioUnsupported(InvalidInput):
    """The upload is not audio that FFmpeg can decode (text, image, executable, empty, truncated)."""

    code = "unsupported_audio"
    message = "The file is not audio we can decode. Upload an MP3, WAV, FLAC, OGG, M4A or similar."


class AudioTooLong(InvalidInput):
    """The audio (or its trimmed range) is longer than the service allows."""

    code = "audio_too_long"
    message = "The audio is longer than allowed."


class RenderConfigInvalid(InvalidInput):
    """A render config failed validation; ``fields`` names each bad field."""

    code = "invalid_render_config"
    message = "The render configuration is invalid."


class RenderFailed(EngineError):
    """A render could not be completed. ``code`` and ``message`` are safe to show to the user."""

    code = "render_failed"
    message = "The video could not be rendered."


class RenderTimeout(RenderFailed):
    code = "render_timeout"
    message = "The render took longer than allowed and was stopped."


class RenderCanceled(EngineError):
    """The render was canceled through ``should_cancel``; not a failure."""

    code = "render_canceled"
    message = "The render was canceled."
