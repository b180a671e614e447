"""``flask render AUDIO -o OUT.mp4``: render one file locally with the engine, no database or
queue needed. ``--workers N [--chunk-seconds S]`` splits it across N local processes;
``--formats 1920x1080,1080x1920`` renders several sizes from one analysis."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from app.rendering.captions import parse_caption_file
from app.rendering.catalog import FPS_CHOICES, SIZES, formats_of, template_ids
from app.rendering.chunks import DEFAULT_CHUNK_SECONDS, render_chunked
from app.rendering.errors import EngineError, InvalidInput
from app.rendering.pipeline import ENCODERS, RenderProgress, prepare_audio, render_video
from app.renders.uploads import IMAGE_PARTS


def _click_error(exc: EngineError) -> click.ClickException:
    """The engine's error as the command's message: the fields at fault, or the code."""
    if isinstance(exc, InvalidInput):
        detail = "".join(f"\n  {name}: {' '.join(msgs)}" for name, msgs in exc.fields.items())
        return click.ClickException(f"{exc.message}{detail}")
    return click.ClickException(f"{exc.message} ({exc.code})")


def build_config(config_file: Path | None, **flags) -> tuple[dict, dict[str, Path]]:
    """The render config from ``--config`` (if any) with the command-line flags on top, and the assets."""
    config: dict = {}
    if config_file is not None:
        try:
            config = json.loads(config_file.read_text())
        except ValueError as exc:
            raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--config") from exc
        if not isinstance(config, dict):
            raise click.BadParameter("must hold a JSON object", param_hint="--config")
    for key in ("template", "size", "fps", "title", "artist", "trim_start", "trim_end"):
        if flags.get(key) is not None:
            config[key] = flags[key]
    if flags.get("formats"):
        config["formats"] = [size.strip() for size in flags["formats"].split(",") if size.strip()]
        config.pop("size", None)
    config.setdefault("template", "bars")
    assets: dict[str, Path] = {}
    options = dict(config.get("options") or {})
    for name, option in IMAGE_PARTS.items():
        path = flags.get(name)
        if path is not None:
            assets[name] = Path(path)
            options[option] = name
    if options:
        config["options"] = options
    if flags.get("captions") is not None:
        cues = parse_caption_file(Path(flags["captions"]).read_bytes())
        style = config.get("captions") if isinstance(config.get("captions"), dict) else {}
        config["captions"] = {**style, "cues": [cue.to_dict() for cue in cues]}
    return config, assets


class _Bar:
    def __init__(self):
        self.bar: tqdm | None = None

    def __call__(self, update: RenderProgress) -> None:
        if update.frames_total and self.bar is None:
            self.bar = tqdm(total=update.frames_total, unit="frame", desc="rendering", dynamic_ncols=True)
        if self.bar is not None:
            self.bar.update(update.frames_done - self.bar.n)
            if update.stage != "capture":
                self.bar.set_description(update.stage)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.command("render")
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the MP4.",
)
@click.option("--template", type=click.Choice(template_ids()), help="Visualizer template (default: bars).")
@click.option("--size", type=click.Choice(SIZES), help="Frame size WxH (default: 1920x1080).")
@click.option(
    "--fps", type=click.Choice([str(f) for f in FPS_CHOICES]), help="Frames per second (default: 30)."
)
@click.option("--title", help="Title text.")
@click.option("--artist", help="Artist text.")
@click.option("--trim-start", "trim_start", type=float, help="Start at this second of the audio.")
@click.option("--trim-end", "trim_end", type=float, help="End at this second of the audio.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON render config ({template, size, fps, title, artist, options: {...}}); flags win.",
)
@click.option("--background", type=click.Path(exists=True, dir_okay=False), help="Background image.")
@click.option("--cover", type=click.Path(exists=True, dir_okay=False), help="Cover image (radial template).")
@click.option("--logo", type=click.Path(exists=True, dir_okay=False), help="Logo image.")
@click.option("--captions", type=click.Path(exists=True, dir_okay=False),
              help="Timed captions: an SRT or WebVTT file (style with config.captions in --config).")
@click.option(
    "--encoder",
    type=click.Choice(ENCODERS),
    default="auto",
    show_default=True,
    help="auto = in-page WebCodecs H.264 when available, else libx264.",
)
@click.option("--formats", help="Several sizes from one analysis, e.g. 1920x1080,1080x1080,1080x1920 "
              "(one per aspect): OUT is the first, OUT's name + .<WxH>.mp4 each further one.")
@click.option("--timeout", type=float, default=None, help="Give up after this many seconds.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Split the render into chunks drawn by this many local processes, then join them "
    "(the same chunk code as the RQ workers use).",
)
@click.option(
    "--chunk-seconds",
    "chunk_seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds of video per chunk with --workers (default: RENDER_CHUNK_SECONDS, else 60).",
)
@with_appcontext
def render_command(
    audio: Path,
    output: Path,
    config_file: Path | None,
    encoder: str,
    timeout: float | None,
    workers: int | None,
    chunk_seconds: float | None,
    **flags,
) -> None:
    """Render AUDIO to a visualizer video at OUTPUT (MP4, H.264 + AAC)."""
    if flags.get("fps") is not None:
        flags["fps"] = int(flags["fps"])
    bar = None
    try:
        config, assets = build_config(config_file, **flags)
        if chunk_seconds is not None and workers is None:
            raise click.BadParameter("needs --workers", param_hint="--chunk-seconds")
        if len(formats_of(config)) > 1:
            if workers is not None:
                raise click.BadParameter("renders one format at a time", param_hint="--workers")
            _render_formats(audio, output, config, assets, encoder, timeout)
            return
        if workers is not None:
            _render_chunked(audio, output, config, assets, encoder, workers, chunk_seconds)
            return
        bar = _Bar()
        result = render_video(
            audio,
            output,
            config,
            assets=assets,
            progress=bar,
            timeout=timeout,
            chromium_path=current_app.config.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            encoder=encoder,
        )
    except EngineError as exc:
        raise _click_error(exc) from exc
    finally:
        if bar is not None:
            bar.close()
    click.echo(f"output:    {result.path}")
    click.echo(
        f"duration:  {result.duration_seconds:.2f} s, {result.frame_count} frames at {result.fps} fps, "
        f"{result.width}x{result.height}"
    )
    click.echo(f"size:      {result.size_bytes / 1e6:.2f} MB ({result.encoder}, {result.codec})")
    if result.config.get("captions"):
        click.echo(f"captions:  {len(result.config['captions']['cues'])} cues")
    click.echo(f"speed:     {result.wall_seconds:.1f} s wall, {result.realtime_factor:.2f}x real time")


def format_path(output: Path, size: str, first: bool) -> Path:
    """OUT for the first format, ``<OUT stem>.<WxH><suffix>`` for each further one."""
    return output if first else output.with_name(f"{output.stem}.{size}{output.suffix or '.mp4'}")


def _render_formats(audio: Path, output: Path, config: dict, assets: dict[str, Path], encoder: str,
                    timeout: float | None) -> None:
    """Every format of ``config``: the audio analysed once, each size rendered from it."""
    try:
        with tempfile.TemporaryDirectory(prefix="waveframe-formats-") as workdir:
            shared = prepare_audio(audio, config, Path(workdir), assets=assets, timeout=timeout)
            sizes = formats_of(shared.config)
            for index, size in enumerate(sizes):
                single = {**{k: v for k, v in shared.config.items() if k != "formats"}, "size": size}
                bar = _Bar()
                try:
                    result = render_video(audio, format_path(output, size, index == 0), single,
                                          assets=assets, progress=bar, timeout=timeout, shared=shared,
                                          chromium_path=current_app.config.get("CHROMIUM_PATH",
                                                                               "/usr/bin/chromium"),
                                          encoder=encoder)
                finally:
                    bar.close()
                click.echo(f"output:    {result.path} ({result.width}x{result.height}, "
                           f"{result.size_bytes / 1e6:.2f} MB, {result.realtime_factor:.2f}x real time)")
    except EngineError as exc:
        raise _click_error(exc) from exc


def _render_chunked(
    audio: Path,
    output: Path,
    config: dict,
    assets: dict[str, Path],
    encoder: str,
    workers: int,
    chunk_seconds: float | None,
) -> None:
    seconds = chunk_seconds or float(current_app.config.get("RENDER_CHUNK_SECONDS") or DEFAULT_CHUNK_SECONDS)
    bar = _Bar()
    try:
        result = render_chunked(
            audio,
            output,
            config,
            workers=workers,
            chunk_seconds=seconds,
            assets=assets,
            progress=bar,
            chromium_path=current_app.config.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            encoder=encoder,
        )
    except EngineError as exc:
        raise _click_error(exc) from exc
    finally:
        bar.close()
    click.echo(f"output:    {result.path}")
    click.echo(f"duration:  {result.duration_seconds:.2f} s, {result.frame_count} frames")
    click.echo(
        f"chunks:    {result.chunks} on {result.workers} processes, "
        f"{', '.join(f'{s:.1f}' for s in result.chunk_seconds)} s each"
    )
    click.echo(f"size:      {result.size_bytes / 1e6:.2f} MB")
    click.echo(
        f"speed:     {result.wall_seconds:.1f} s wall, "
        f"{result.duration_seconds / max(result.wall_seconds, 1e-6):.2f}x real time"
    )


COMMANDS = (render_command,)
