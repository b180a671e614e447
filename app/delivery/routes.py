"""Download endpoints: a fresh expiring link to a finished video, and the local file route.

``GET /api/v1/renders/{id}/download`` answers ``{url, expires_at}`` (or a 302 to the link with
``?redirect=1``). With GCS the link is a V4 signed URL; with local storage it points at
``GET /api/v1/files/{token}`` below, which serves the file (with ``Range`` support) while its
signed token is valid. Links are never logged (the access log records the route, not the path).
"""

from __future__ import annotations

import uuid

from flask import redirect, send_file
from flask_smorest import Blueprint

from app.delivery.links import download_link_for, open_local_download
from app.delivery.schemas import DownloadLinkSchema, DownloadQuerySchema
from app.extensions import limiter
from app.web.auth import BEARER_AUTH, auth_required, current_user

bp = Blueprint("downloads", __name__, url_prefix="/api/v1",
               description="Time-limited download links to finished videos.")


@bp.get("/renders/<uuid:job_id>/download")
@auth_required()
@limiter.limit("60 per minute")
@bp.arguments(DownloadQuerySchema, location="query")
@bp.response(200, DownloadLinkSchema)
@bp.alt_response(302, description="With ?redirect=1: a redirect to the link.")
@bp.alt_response(404, description="No such render (or not yours), or no format of this size in it.")
@bp.alt_response(409, description="The render is not completed.")
@bp.alt_response(410, description="The video passed its retention period and was deleted "
                                   "(``video_expired``), or an administrator deleted it "
                                   "(``video_deleted``).")
@bp.alt_response(429, description="More than 60 links a minute from this address.")
@bp.doc(security=BEARER_AUTH)
def get_download_link(query: dict, job_id: uuid.UUID):
    """Get a fresh time-limited link to the finished video (owner only); ``?size=WxH`` picks
    one format of an order of several (the job's ``outputs``)."""
    link = download_link_for(current_user(), job_id, query.get("size"))
    if query["redirect"]:
        response = redirect(link.url, code=302)
        response.headers["Cache-Control"] = "no-store"
        return response
    return {"url": link.url, "expires_at": link.expires_at}, 200, {"Cache-Control": "no-store"}


@bp.get("/files/<string:token>")
@limiter.exempt
@bp.alt_response(200, description="The file (206 for a Range request).")
@bp.alt_response(403, description="The link is not valid.")
@bp.alt_response(410, description="The link has expired, or the file was deleted.")
def local_file(token: str):
    """Serve a file of the local storage to the holder of a valid signed link."""
    download = open_local_download(token)
    response = send_file(download.path, mimetype=download.content_type, conditional=True,
                         etag=True, max_age=0)
    if download.content_disposition:
        response.headers["Content-Disposition"] = download.content_disposition
    response.headers["Cache-Control"] = "private, no-store"
    return response
