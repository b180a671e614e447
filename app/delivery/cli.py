"""``flask storage usage [PREFIX]``: how much the object storage holds, by key prefix."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from app.delivery.storage_usage import storage_usage

storage_cli = AppGroup("storage", help="Object storage (videos and uploads).")


@storage_cli.command("usage")
@click.argument("prefix", default="")
@click.option("--json", "as_json", is_flag=True, help="Print the totals as JSON.")
def usage_command(prefix: str, as_json: bool) -> None:
    """Total bytes and objects, and per first key segment (``uploads/``, ``renders/``...)."""
    usage = storage_usage(prefix)
    if as_json:
        click.echo(json.dumps(usage, sort_keys=True))
        return
    click.echo(f"total: {usage['total_objects']} objects, {_size(usage['total_bytes'])}")
    for group, entry in usage["by_prefix"].items():
        click.echo(f"  {group:<12} {entry['objects']:>8} objects  {_size(entry['bytes']):>10}")


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"  # pragma: no cover - the loop always returns


COMMANDS = (storage_cli,)
