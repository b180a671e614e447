"""Schemas shared by every blueprint: the one error shape and the page envelope."""

from __future__ import annotations

import marshmallow as ma

# Bounds of every paginated list: (MAX_PAGE - 1) * MAX_PER_PAGE stays far inside the database's
# integers, so no page number can overflow an OFFSET.
MAX_PAGE = 100_000
MAX_PER_PAGE = 100


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "invalid_field"})
    message = ma.fields.String(required=True, metadata={"example": "One or more fields are invalid."})
    details = ma.fields.Dict(metadata={"example": {"fields": {"config.fps": ["Must be one of 24, 30, 60."]}}})


class ErrorSchema(ma.Schema):
    """Every error the API answers: ``{"error": {"code", "message", "details"}}``."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)
