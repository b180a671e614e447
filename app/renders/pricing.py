"""What a render costs, from the price table in configuration.

The quote is stored on the job when it is created, so a later price change never alters
what a user was quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.errors import InvalidField


@dataclass(frozen=True)
class Quote:
    amount: int  # smallest currency unit (cents)
    currency: str


def _resolution_class(size: str) -> str:
    width, height = (int(v) for v in size.lower().split("x"))
    return "1080" if min(width, height) > 720 else "720"


def quote(size: str, audio_seconds: float, table: dict | None = None) -> Quote:
    table = table or current_app.config["PRICE_TABLE"]
    resolution = _resolution_class(size)
    for band in table["bands"]:
        if audio_seconds <= band["max_seconds"]:
            return Quote(int(band[resolution]), table["currency"].lower())
    longest = table["bands"][-1]["max_seconds"]
    raise InvalidField(f"Audio longer than {longest} seconds has no price.",
                       fields={"audio": [f"At most {longest} seconds."]})


def quote_order(sizes: list[str], audio_seconds: float, table: dict | None = None) -> Quote:
    """An order of several formats: the sum of each format's price, one payment."""
    quotes = [quote(size, audio_seconds, table) for size in sizes]
    return Quote(sum(q.amount for q in quotes), quotes[0].currency)


def price_list(table: dict | None = None) -> dict:
    """The table in the shape ``GET /pricing`` shows."""
    table = table or current_app.config["PRICE_TABLE"]
    return {"currency": table["currency"].lower(),
            "bands": [{"max_audio_seconds": b["max_seconds"],
                       "prices": {"720p": b["720"], "1080p": b["1080"]}} for b in table["bands"]]}
