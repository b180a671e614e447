"""Schemas of the downloads blueprint."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class DownloadQuerySchema(Schema):
    redirect = fields.Boolean(load_default=False, metadata={
        "description": "Answer 302 to the link instead of returning it as JSON."})
    size = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{2,5}x[0-9]{2,5}$"),
                         metadata={"description": "Which format of an order of several (e.g. "
                                   "1080x1920, see the job's outputs); default the first."})


class DownloadLinkSchema(Schema):
    url = fields.String(required=True, metadata={
        "description": "Time-limited link to the MP4; no other credentials needed."})
    expires_at = fields.DateTime(required=True, metadata={
        "description": "When the link stops working (ISO 8601, UTC)."})
