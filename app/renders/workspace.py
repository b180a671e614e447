"""Local folders of the render path, all under one root (``RENDER_TMP_DIR`` or the system temp dir).

    <root>/waveframe/uploads/<random>/    one POST /renders while it validates (always removed)
    <root>/waveframe/work/<job>-<random>/ one render attempt on a worker (always removed)
    <root>/waveframe/outputs/<job>/       the finished MP4 of a job, kept until it is stored
                                          (so a failed upload is retried without re-rendering);
                                          an order of several formats keeps each in <job>/<WxH>/
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from flask import current_app

OUTPUT_VIDEO = "video.mp4"
OUTPUT_META = "video.json"


def tmp_root() -> Path:
    base = current_app.config.get("RENDER_TMP_DIR") or tempfile.gettempdir()
    return Path(base) / "waveframe"


def area(name: str) -> Path:
    path = tmp_root() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def scratch_dir(kind: str, prefix: str = "") -> Iterator[Path]:
    """A fresh private folder under ``<root>/waveframe/<kind>/``, removed on every exit path."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=area(kind)))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def output_dir(job_id: uuid.UUID | str) -> Path:
    return area("outputs") / str(job_id)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def keep_output(job_id, rendered: Path, meta: dict, *, name: str | None = None) -> Path:
    """Move a finished video into the job's output folder with its metadata (sha256 included);
    ``name``: a sub-folder (one format of an order of several)."""
    folder = output_dir(job_id) / name if name else output_dir(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / OUTPUT_VIDEO
    shutil.move(str(rendered), target)
    (folder / OUTPUT_META).write_text(json.dumps(meta))
    return target


def kept_output(job_id, *, name: str | None = None) -> tuple[Path, dict] | None:
    """The job's kept video and metadata, if present and its checksum still matches."""
    folder = output_dir(job_id) / name if name else output_dir(job_id)
    video, meta_path = folder / OUTPUT_VIDEO, folder / OUTPUT_META
    if not (video.is_file() and meta_path.is_file()):
        return None
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError:
        meta = {}
    if not meta.get("sha256") or sha256_file(video) != meta["sha256"]:
        if name:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            discard_output(job_id)
        return None
    return video, meta


def discard_output(job_id) -> None:
    shutil.rmtree(output_dir(job_id), ignore_errors=True)
