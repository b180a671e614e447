"""Where a render job's objects live in storage -- the one place their keys are built -- and
deleting every one of them.

    uploads/<user>/<job>/audio.<ext>      the uploaded audio
    uploads/<user>/<job>/<name>.png       each uploaded image (background, cover, logo)
    uploads/<user>/<job>/chunks/<attempt>/ a chunked render's shared work: ``features.bin``,
                                          ``plan.json``, ``audio.m4a`` and
                                          ``segment-<n>-<k>.mp4`` (deleted after the join, on
                                          cancel and on failure)
    renders/<user>/<job>.mp4              the finished video (the first format of an order)
    renders/<user>/<job>.<WxH>.mp4        each further format of an order of several

Retention and the unpaid-upload sweep delete by prefix, so an object of the job is removed
whether or not its key is recorded on the row (cover and logo keys are not).
"""

from __future__ import annotations

from app.adapters.storage import Storage


def upload_prefix(user_id, job_id) -> str:
    return f"uploads/{user_id}/{job_id}"


def audio_key(user_id, job_id, extension: str) -> str:
    return f"{upload_prefix(user_id, job_id)}/audio.{extension}"


def image_key(user_id, job_id, name: str) -> str:
    return f"{upload_prefix(user_id, job_id)}/{name}.png"


def chunks_prefix(user_id, job_id, attempt: int | None = None) -> str:
    """Where a chunked render keeps what every worker must read (one attempt, or all)."""
    base = f"{upload_prefix(user_id, job_id)}/chunks/"
    return base if attempt is None else f"{base}{int(attempt)}/"


def chunk_features_key(user_id, job_id, attempt: int) -> str:
    return f"{chunks_prefix(user_id, job_id, attempt)}features.bin"


def chunk_plan_key(user_id, job_id, attempt: int) -> str:
    return f"{chunks_prefix(user_id, job_id, attempt)}plan.json"


def chunk_audio_key(user_id, job_id, attempt: int) -> str:
    """The trimmed audio, encoded once beside the chunks, that the join copies."""
    return f"{chunks_prefix(user_id, job_id, attempt)}audio.m4a"


def segment_key(user_id, job_id, attempt: int, position: int, enqueues: int) -> str:
    """A chunk's segment; each RQ job of the chunk (``enqueues``) writes its own key."""
    return f"{chunks_prefix(user_id, job_id, attempt)}segment-{int(position):05d}-{int(enqueues)}.mp4"


def output_key(user_id, job_id, size: str | None = None) -> str:
    """The video's key; ``size`` names a further format of an order (under the same prefix)."""
    return f"renders/{user_id}/{job_id}.{size}.mp4" if size else f"renders/{user_id}/{job_id}.mp4"


def job_prefixes(user_id, job_id) -> tuple[str, ...]:
    """Every prefix the job's objects live under, the video first; each matches no key of
    another job (``renders/<user>/<job>.`` is not a prefix of ``<job>0.mp4``)."""
    return (f"renders/{user_id}/{job_id}.", f"{upload_prefix(user_id, job_id)}/")


def delete_job_objects(storage: Storage, job) -> int:
    """Delete everything stored for ``job``; the number of objects deleted.

    Raises ``StorageError`` when the storage fails (what is already deleted stays deleted;
    running it again finishes the work).
    """
    prefixes = job_prefixes(job.user_id, job.id)
    deleted = sum(storage.delete_prefix(prefix) for prefix in prefixes)
    keys = [job.output_key, job.audio_key, job.background_key,
            *(output.output_key for output in getattr(job, "outputs", None) or ())]
    for key in keys:  # recorded elsewhere
        if key and not key.startswith(prefixes) and storage.delete(key):
            deleted += 1
    return deleted
