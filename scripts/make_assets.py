"""Draw the site's static images into assets/ (Reflex serves that folder at the site root).

Run again after changing the brand colours: `.venv/bin/python scripts/make_assets.py`.
The brand mark is the one the header shows: a violet-to-pink rounded square with a white
four-pointed sparkle. Everything is drawn at 4x and scaled down, for smooth edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ASSETS = Path(__file__).resolve().parents[1] / "assets"
VIOLET = (110, 86, 207)  # #6e56cf, Radix violet 9 (the theme's accent)
PINK = (214, 64, 159)  # #d6409f, Radix pink 9
INK = (27, 22, 41)
SOCIAL_SIZE = (1200, 630)
TAGLINE = "Turn prompts into image sets with AI models, and share them."
ROBOTS = """\
# Pixel Studio: public pages may be indexed; accounts, sign-in and the API may not.
User-agent: *
Disallow: /api/
Disallow: /auth/
Disallow: /home
Disallow: /create
Disallow: /settings
Disallow: /login
Disallow: /signup
"""


def gradient(size: tuple[int, int], start: tuple[int, ...], end: tuple[int, ...]) -> Image.Image:
    """A diagonal (top-left to bottom-right) linear gradient."""
    down = Image.linear_gradient("L").resize(size)  # black at the top, white at the bottom
    across = Image.linear_gradient("L").rotate(90).resize(size)  # black left, white right
    ramp = Image.blend(down, across, 0.5)
    return Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), ramp)


def sparkle(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    """The four-pointed star of the logo, radius r (the SVG's 10/32 of the tile)."""
    waist = r * 0.26
    points = [
        (cx, cy - r),
        (cx + waist, cy - waist),
        (cx + r, cy),
        (cx + waist, cy + waist),
        (cx, cy + r),
        (cx - waist, cy + waist),
        (cx - r, cy),
        (cx - waist, cy - waist),
    ]
    draw.polygon(points, fill="white")


def logo(size: int) -> Image.Image:
    """The brand mark as an RGBA square of `size` pixels."""
    big = size * 4
    tile = gradient((big, big), VIOLET, PINK).convert("RGBA")
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 4, fill=255)
    tile.putalpha(mask)
    sparkle(ImageDraw.Draw(tile), big / 2, big / 2, big * 10 / 32)
    return tile.resize((size, size), Image.Resampling.LANCZOS)


def social_card() -> Image.Image:
    """The default share image (1200x630, what Open Graph and X cards expect)."""
    card = gradient(SOCIAL_SIZE, (24, 18, 43), (58, 22, 56)).convert("RGBA")
    mark = logo(220)
    card.alpha_composite(mark, (110, (SOCIAL_SIZE[1] - 220) // 2))
    draw = ImageDraw.Draw(card)
    title = ImageFont.load_default(size=96)
    body = ImageFont.load_default(size=34)
    draw.text((380, 225), "Pixel Studio", font=title, fill="white")
    first, _, second = TAGLINE.partition(" with ")
    draw.text((384, 350), first, font=body, fill=(222, 214, 250))
    draw.text((384, 396), f"with {second}", font=body, fill=(222, 214, 250))
    draw.rectangle((0, SOCIAL_SIZE[1] - 12, SOCIAL_SIZE[0], SOCIAL_SIZE[1]), fill=PINK)
    return card.convert("RGB")


def main() -> None:
    ASSETS.mkdir(exist_ok=True)
    icon = logo(256)
    icon.save(ASSETS / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    logo(32).save(ASSETS / "favicon-32.png", optimize=True)
    logo(192).save(ASSETS / "icon-192.png", optimize=True)
    # iOS draws its own rounded corners and shows transparency as black: a full square.
    touch = gradient((180 * 4, 180 * 4), VIOLET, PINK)
    sparkle(ImageDraw.Draw(touch), 360, 360, 720 * 10 / 32)
    touch.resize((180, 180), Image.Resampling.LANCZOS).save(
        ASSETS / "apple-touch-icon.png", optimize=True
    )
    social_card().save(ASSETS / "social.png", optimize=True)
    (ASSETS / "robots.txt").write_text(ROBOTS)


if __name__ == "__main__":
    main()
