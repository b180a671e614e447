"""Typed errors of the render engine.

The first group are API errors (``app.errors`` maps them to 415/422 responses); the second
group happen inside a render and carry a user-facing ``code`` and ``message`` that the render
task stores on the job row.
"""

from __future__ import annotations

from app.errors import InvalidField, UnsupportedMedia


class AudioUnsupported(UnsupportedMedia):
    """The upload is not audio that FFmpeg can decode (text, image, executable, empty, truncated)."""

    code = "unsupported_audio"
    message = "The file is not audio we can decode. Upload an MP3, WAV, FLAC, OGG, M4A or similar."


class AudioTooLong(InvalidField):
    """The audio (or its trimmed range) is longer than the service allows."""

    code = "audio_too_long"
    message = "The audio is longer than allowed."


class RenderConfigInvalid(InvalidField):
    """A render config failed validation; ``details["fields"]`` names each bad field."""

    code = "invalid_render_config"
    message = "The render configuration is invalid."


class RenderFailed(Exception):
    """A render could not be completed. ``code`` and ``message`` are safe to show to the user."""

    code = "render_failed"
    message = "The video could not be rendered."

    def __init__(self, message: str | None = None, *, code: str | None = None, detail: str | None = None):
        self.message = message or self.message
        self.code = code or self.code
        #: internal detail for logs (stderr tail, JS error); never shown to users
        self.detail = detail
        super().__init__(self.message)


class RenderTimeout(RenderFailed):
    code = "render_timeout"
    message = "The render took longer than allowed and was stopped."


class RenderCanceled(Exception):
    """The render was canceled through ``should_cancel``; not a failure."""

    code = "render_canceled"
    message = "The render was canceled."
