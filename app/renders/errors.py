"""The engine's input errors as API errors.

The engine (``app/rendering``) raises its own exceptions and knows nothing of HTTP; the renders
package calls it inside ``engine_input_errors()``, which re-raises each ``InvalidInput`` as the
API error a client gets: audio that cannot be decoded is 415, too long audio or an invalid
config field is 422, each with the engine's code, message, details and named fields.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from app.errors import ApiError, InvalidField, UnsupportedMedia
from app.rendering.errors import AudioUnsupported, InvalidInput


def api_error(exc: InvalidInput) -> ApiError:
    if isinstance(exc, AudioUnsupported):
        return UnsupportedMedia(exc.message, code=exc.code, details=exc.details)
    return InvalidField(exc.message, code=exc.code, details=exc.details, fields=exc.fields)


@contextlib.contextmanager
def engine_input_errors() -> Iterator[None]:
    """Turn the engine's input errors raised inside the block into API errors."""
    try:
        yield
    except InvalidInput as exc:
        raise api_error(exc) from exc
