"""Compose the frames the render tests keep (artifacts/gallery/) into docs/gallery.png.

Run after `make test` (or `pytest tests/integration/rendering/test_render_video.py -k every_template`):
    .venv/bin/python scripts/gallery.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

TEMPLATES = ("bars", "wave", "radial", "particles")
SIZES = ("1280x720", "720x720", "720x1280")
ASPECTS = ("16:9", "1:1", "9:16")
FONT = Path(__file__).resolve().parent.parent / "app/static/visualizer/fonts/DejaVuSans-Bold.ttf"
HEAD = 40
ROW_HEIGHT = 300
GAP = 8


def main(source: Path = Path("artifacts/gallery"), target: Path = Path("docs/gallery.png")) -> None:
    tiles = []
    for template in TEMPLATES:
        row = []
        for size in SIZES:
            frame = Image.open(source / f"{template}-{size}.png").convert("RGB")
            width = round(frame.width * ROW_HEIGHT / frame.height)
            row.append(frame.resize((width, ROW_HEIGHT), Image.LANCZOS))
        tiles.append(row)
    font = ImageFont.truetype(str(FONT), 22)
    width = max(sum(t.width for t in row) + GAP * len(row) for row in tiles) + 130
    sheet = Image.new("RGB", (width, HEAD + len(tiles) * (ROW_HEIGHT + GAP)), (245, 245, 247))
    draw = ImageDraw.Draw(sheet)
    x = 130
    for aspect, tile in zip(ASPECTS, tiles[0], strict=True):
        draw.text((x + tile.width // 2, HEAD // 2), aspect, fill=(20, 20, 20), font=font, anchor="mm")
        x += tile.width + GAP
    for r, (template, row) in enumerate(zip(TEMPLATES, tiles, strict=True)):
        y = HEAD + r * (ROW_HEIGHT + GAP)
        draw.text((10, y + ROW_HEIGHT // 2), template, fill=(20, 20, 20), font=font, anchor="lm")
        x = 130
        for tile in row:
            sheet.paste(tile, (x, y))
            x += tile.width + GAP
    target.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(target, optimize=True)
    print(f"wrote {target} ({sheet.width}x{sheet.height})")


if __name__ == "__main__":
    main(*(Path(a) for a in sys.argv[1:]))
