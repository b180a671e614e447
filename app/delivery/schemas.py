"""Schemas of the downloads blueprint."""

from __future__ import annotations

from marshmallow import Schema, fields


class DownloadQuerySchema(Schema):
    redirect = fields.Boolean(load_default=False, metadata={
        "description": "Answer 302 to the link instead of returning it as JSON."})


class DownloadLinkSchema(Schema):
    url = fields.String(required=True, metadata={
        "description": "Time-limited link to the MP4; no other credentials needed."})
    expires_at = fields.DateTime(required=True, metadata={
        "description": "When the link stops working (ISO 8601, UTC)."})
