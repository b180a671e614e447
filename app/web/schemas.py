"""Schemas shared by every blueprint: the one error shape and the page envelope."""

from __future__ import annotations

import marshmallow as ma


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "invalid_field"})
    message = ma.fields.String(required=True, metadata={"example": "One or more fields are invalid."})
    details = ma.fields.Dict(metadata={"example": {"fields": {"config.fps": ["Must be one of 24, 30, 60."]}}})


class ErrorSchema(ma.Schema):
    """Every error the API answers: ``{"error": {"code", "message", "details"}}``."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)
