"""Request and response shapes of the render endpoints."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest.fields import Upload
from webargs.fields import DelimitedList

from app.models import RenderStatus
from app.rendering.catalog import aspect_of
from app.web.json_body import MAX_JSON_DEPTH, JSONTooDeep, loads_bounded
from app.web.schemas import MAX_PAGE, MAX_PER_PAGE

STATUS_VALUES = [s.value for s in RenderStatus]


class JSONObject(ma.fields.Field):
    """A form field holding a JSON object (the render ``config`` of a multipart upload)."""

    default_error_messages = {
        "invalid": "Must be a JSON object.",
        "too_deep": f"Must not nest more than {MAX_JSON_DEPTH} levels of arrays and objects.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            return value
        try:
            parsed = loads_bounded(value)
        except JSONTooDeep:
            raise self.make_error("too_deep") from None
        except (TypeError, ValueError) as exc:
            raise self.make_error("invalid") from exc
        if not isinstance(parsed, dict):
            raise self.make_error("invalid")
        return parsed


class StrippedString(ma.fields.String):
    """A string with surrounding spaces dropped (``?status=queued, failed``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value.strip() if isinstance(value, str) else value, attr, data,
                                    **kwargs)


class RenderFormSchema(ma.Schema):
    config = JSONObject(required=True, metadata={
        "description": "JSON object: {template, size, formats, fps, title, artist, trim_start, "
                       "trim_end, options, captions}; every field but template optional (see GET "
                       "/templates). formats: 1-3 sizes, one per aspect, one payment for all."})


class RenderFilesSchema(ma.Schema):
    audio = Upload(required=True, metadata={"description": "The audio file (MP3, WAV, FLAC, ...)."})
    background = Upload(metadata={"description": "Optional background image (PNG, JPEG, WebP)."})
    cover = Upload(metadata={"description": "Optional cover image for templates that show one."})
    logo = Upload(metadata={"description": "Optional logo image."})
    captions = Upload(metadata={"description": "Optional SRT or WebVTT caption file."})


class CaptionFormSchema(ma.Schema):
    duration = ma.fields.Float(load_default=None, validate=ma.validate.Range(min=0, min_inclusive=False),
                               metadata={"description": "Seconds of the audio: every cue must end "
                                                        "inside it (optional)."})


class CaptionFilesSchema(ma.Schema):
    captions = Upload(required=True, metadata={"description": "An SRT or WebVTT file (UTF-8, at most "
                                                              "512 KB)."})


class CueSchema(ma.Schema):
    start = ma.fields.Float()
    end = ma.fields.Float()
    text = ma.fields.String()


class CaptionCuesSchema(ma.Schema):
    cues = ma.fields.List(ma.fields.Nested(CueSchema), metadata={
        "description": "Cues in seconds of the audio, markup removed, as config.captions.cues takes them."})


class RenderListArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))
    status = DelimitedList(
        StrippedString(validate=ma.validate.OneOf(STATUS_VALUES)),
        metadata={"description": "Statuses to include, comma-separated (queued,failed)."})


class RenderJobSchema(ma.Schema):
    id = ma.fields.UUID()
    status = ma.fields.Function(lambda job: str(getattr(job.status, "value", job.status)),
                                metadata={"enum": STATUS_VALUES})
    progress = ma.fields.Integer()
    eta_seconds = ma.fields.Integer(allow_none=True)
    attempts = ma.fields.Integer()
    priority = ma.fields.String()
    cancel_requested = ma.fields.Boolean()
    error = ma.fields.Method("_error", metadata={"description": "{code, message} or null"})
    config = ma.fields.Dict()
    audio = ma.fields.Method("_audio")
    price = ma.fields.Method("_price")
    output = ma.fields.Method("_output")
    outputs = ma.fields.Method("_outputs", metadata={
        "description": "Every video of a completed job, one per format of the order (the first is "
                       "`output`): [{size, aspect, bytes, duration, download}], `download` being the "
                       "endpoint that issues a fresh link to that format; [] until completed."})
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    queued_at = ma.fields.DateTime(allow_none=True)
    paid_at = ma.fields.DateTime(allow_none=True)
    started_at = ma.fields.DateTime(allow_none=True)
    progress_updated_at = ma.fields.DateTime(allow_none=True)
    completed_at = ma.fields.DateTime(allow_none=True)
    failed_at = ma.fields.DateTime(allow_none=True)
    canceled_at = ma.fields.DateTime(allow_none=True)
    expired_at = ma.fields.DateTime(allow_none=True)
    video_expires_at = ma.fields.DateTime(allow_none=True)

    def _error(self, job):
        if not job.error_code:
            return None
        return {"code": job.error_code, "message": job.error_message}

    def _audio(self, job):
        return {"filename": job.audio_filename, "duration": job.audio_duration,
                "format": job.audio_format, "size": job.audio_size}

    def _price(self, job):
        if job.price_amount is None:
            return None
        return {"amount": job.price_amount, "currency": job.price_currency}

    def _output(self, job):
        if not job.output_key:
            return None
        return {"size": job.output_size, "duration": job.output_duration,
                "checksum": job.output_checksum}

    def _outputs(self, job):
        if not job.output_key or str(job.status) != RenderStatus.COMPLETED.value:
            return []
        rows = [(o.size, o.size_bytes, o.duration) for o in job.outputs] or [
            (job.formats[0], job.output_size, job.output_duration)]  # completed before render_outputs
        return [{"size": size, "aspect": aspect_of(size), "bytes": size_bytes, "duration": duration,
                 "download": f"/api/v1/renders/{job.id}/download?size={size}"}
                for size, size_bytes, duration in rows]


class RenderListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RenderJobSchema))
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()


class PriceBandSchema(ma.Schema):
    max_audio_seconds = ma.fields.Integer()
    prices = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class PricingSchema(ma.Schema):
    currency = ma.fields.String()
    bands = ma.fields.List(ma.fields.Nested(PriceBandSchema))
