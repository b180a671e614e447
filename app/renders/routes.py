"""Render endpoints: templates and pricing (public), upload, status, list, cancel, retry (owner)."""

from __future__ import annotations

import uuid

from flask import current_app, request
from flask_smorest import Blueprint

from app.extensions import limiter
from app.renders.catalog import config_openapi_schema, templates_document
from app.renders.pricing import price_list
from app.renders.schemas import (
    CaptionCuesSchema,
    CaptionFilesSchema,
    CaptionFormSchema,
    PricingSchema,
    RenderFilesSchema,
    RenderFormSchema,
    RenderJobSchema,
    RenderListArgsSchema,
    RenderListSchema,
)
from app.renders.service import (
    cancel_render,
    create_render,
    get_render,
    list_renders,
    parse_captions,
    retry_render,
)
from app.renders.status import status_body
from app.renders.uploads import IMAGE_PARTS
from app.web.auth import BEARER_AUTH, auth_required, current_user, current_user_id

catalog_bp = Blueprint("catalog", __name__, url_prefix="/api/v1",
                       description="Visualizer templates and prices.")
bp = Blueprint("renders", __name__, url_prefix="/api/v1/renders",
               description="Render jobs: upload audio, follow progress, cancel, retry.")
captions_bp = Blueprint("captions", __name__, url_prefix="/api/v1/captions",
                        description="Caption files read the way renders read them.")
TEMPLATES_MAX_AGE = 300
_BINARY = {"type": "string", "format": "binary"}
# flask-smorest documents one request body per view; this one shows the form and file parts
# together, the config part as the JSON object the catalog validates (sent as application/json).
UPLOAD_BODY_DOC = {"required": True, "content": {"multipart/form-data": {
    "schema": {
        "type": "object", "required": ["audio", "config"],
        "properties": {
            "audio": {**_BINARY, "description": "The audio file (MP3, WAV, FLAC, OGG, M4A, ...)."},
            "config": config_openapi_schema(),
            "background": {**_BINARY, "description": "Optional background image (PNG, JPEG, WebP)."},
            "cover": {**_BINARY, "description": "Optional cover image, for templates that show one."},
            "logo": {**_BINARY, "description": "Optional logo image."},
            "captions": {**_BINARY, "description": "Optional timed captions: an SRT or WebVTT file "
                         "(UTF-8, at most 512 KB, every cue inside the audio); style them with "
                         "config.captions."},
        }},
    "encoding": {"config": {"contentType": "application/json"}},
}}}



def _job_link(path: str, method: str, description: str) -> dict:
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {"operationRef": f"#/paths/{pointer}/{method}", "description": description,
            "parameters": {"job_id": "$response.body#/id"}}


# What a client does next with the job it created (OpenAPI links; stateful fuzzing follows them).
JOB_LINKS = {
    "GetRenderJob": _job_link("/api/v1/renders/{job_id}", "get", "Follow its progress."),
    "CancelRenderJob": _job_link("/api/v1/renders/{job_id}/cancel", "post", "Cancel it."),
    "RetryRenderJob": _job_link("/api/v1/renders/{job_id}/retry", "post", "Retry it once failed."),
    "CheckoutRenderJob": _job_link("/api/v1/renders/{job_id}/checkout", "post", "Pay for it."),
    "DownloadRenderJob": _job_link("/api/v1/renders/{job_id}/download", "get",
                                   "Download the video once completed."),
}

# flask-smorest documents no links: the 201 answer is written out here with them.
CREATED_DOC = {"description": "Created", "links": JOB_LINKS, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/RenderJob"}}}}


@catalog_bp.get("/templates")
@catalog_bp.doc(responses={"200": {"description": "{items: [{id, name, description, options_schema, "
                                                  "defaults}], config_schema}; ETag for revalidation"},
                           "304": {"description": "Not modified (If-None-Match matched)"}})
def list_templates():
    """The visualizer templates, the options each takes (JSON Schema) and their defaults."""
    body, etag = templates_document()
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = TEMPLATES_MAX_AGE
    return response.make_conditional(request)


@catalog_bp.get("/pricing")
@catalog_bp.response(200, PricingSchema)
def pricing():
    """What a render costs, by audio length and resolution (smallest currency unit)."""
    return price_list()


# as for the upload: one documented body with the file and the form field together
CAPTIONS_BODY_DOC = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["captions"],
    "properties": {
        "captions": {**_BINARY, "description": "An SRT or WebVTT file (UTF-8, at most 512 KB)."},
        "duration": {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                     "description": "Seconds of the audio: every cue must end inside it (optional)."},
    }}}}}


@captions_bp.post("/parse")
@auth_required()
@limiter.limit("60 per minute")
@captions_bp.arguments(CaptionFormSchema, location="form")
@captions_bp.arguments(CaptionFilesSchema, location="files")
@captions_bp.response(200, CaptionCuesSchema)
@captions_bp.alt_response(413, description="The file is larger than 512 KB.")
@captions_bp.alt_response(422, description="Not a well-formed SRT/WebVTT file (the message and "
                                           "details.line name the line), or a cue past the audio.")
@captions_bp.doc(security=BEARER_AUTH, requestBody=CAPTIONS_BODY_DOC)
def parse_caption_file(form: dict, files: dict):
    """Read an SRT or WebVTT file into cues (for a preview); nothing is stored."""
    return {"cues": parse_captions(files["captions"], form.get("duration"))}


@bp.post("")
@auth_required()
@bp.arguments(RenderFormSchema, location="form")
@bp.arguments(RenderFilesSchema, location="files")
@bp.response(201, RenderJobSchema)
@bp.alt_response(200, schema=RenderJobSchema,
                 description="An identical render of yours (same audio and images, same config, same "
                             "engine version) exists and can still deliver its video: that job, not "
                             "rendered or charged again.")
@bp.alt_response(413, description="The audio or an image is larger than allowed.")
@bp.alt_response(415, description="The audio is not decodable audio, or an image not PNG/JPEG/WebP.")
@bp.alt_response(422, description="Too long/short audio or an invalid config field (named).")
@bp.doc(security=BEARER_AUTH, requestBody=UPLOAD_BODY_DOC, responses={"201": CREATED_DOC})
def create(form: dict, files: dict):
    """Upload audio (+ optional images) with a render config; creates the job.

    With payments on, the job waits in ``awaiting_payment`` (see /checkout); otherwise it is
    queued at once.
    """
    job = create_render(current_user(), audio=files["audio"], config=form["config"],
                        images={name: files.get(name) for name in IMAGE_PARTS},
                        captions=files.get("captions"))
    return (job, 200) if job.reused else job


@bp.get("")
@auth_required()
@bp.arguments(RenderListArgsSchema, location="query")
@bp.response(200, RenderListSchema)
@bp.doc(security=BEARER_AUTH)
def list_jobs(args: dict):
    """The caller's render jobs, newest first, optionally filtered by status."""
    items, total = list_renders(current_user(), page=args["page"], per_page=args["per_page"],
                                statuses=args.get("status"))
    return {"items": items, "page": args["page"], "per_page": args["per_page"], "total": total}


@bp.get("/<uuid:job_id>")
@auth_required()
@bp.response(200, RenderJobSchema)
@bp.alt_response(404, description="No such render job (or not yours).")
@bp.doc(security=BEARER_AUTH)
def get_job(job_id: uuid.UUID):
    """One render job: status, progress, ETA, attempts, error, timestamps, config."""
    # The hot path of polling: the copy in Redis, or one Core SELECT and a plain dict, the same
    # JSON as the schema's (app/renders/status.py); flask-smorest passes a Response through.
    return current_app.response_class(status_body(current_user_id(), job_id),
                                      mimetype=current_app.json.mimetype)


@bp.post("/<uuid:job_id>/cancel")
@auth_required()
@bp.response(200, RenderJobSchema)
@bp.alt_response(404, description="No such render job (or not yours).")
@bp.alt_response(409, description="The job has already finished.")
@bp.doc(security=BEARER_AUTH)
def cancel_job(job_id: uuid.UUID):
    """Cancel a job that has not finished (a running render stops within seconds)."""
    return cancel_render(get_render(current_user(), job_id), reason="user")


@bp.post("/<uuid:job_id>/retry")
@auth_required()
@bp.response(200, RenderJobSchema)
@bp.alt_response(404, description="No such render job (or not yours).")
@bp.alt_response(409, description="Only failed jobs can be retried (and only so many times).")
@bp.doc(security=BEARER_AUTH)
def retry_job(job_id: uuid.UUID):
    """Queue a failed job again as a new attempt."""
    user = current_user()
    return retry_render(get_render(user, job_id), admin=user.is_operator)
