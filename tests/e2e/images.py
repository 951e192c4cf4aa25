"""Images for the Image2Model tests and benchmarks, made here (no downloads) with Debian's python3-pil: photo-like
JPEGs (a lit, shaded object on a soft, noisy backdrop, like a product photo), PNG and WebP cut-outs with an alpha
channel, a JPEG whose EXIF says to rotate it, and the bad files an upload must refuse: a GIF, text, a truncated
JPEG and a "decompression bomb" PNG that declares far more pixels than it carries bytes."""
import io
import math
import random
import struct
import zlib

from PIL import Image, ImageDraw, ImageFilter


def _photo(width, height, seed):
    rng = random.Random(seed)
    # A backdrop with a soft vertical gradient, like a studio sweep.
    top = [rng.randint(200, 240) for _ in range(3)]
    bottom = [max(0, c - rng.randint(20, 50)) for c in top]
    backdrop = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", [backdrop.point(lambda v, t=t, b=b: t + (b - t) * v // 255)
                                for t, b in zip(top, bottom)])
    draw = ImageDraw.Draw(image)
    # The subject: an ellipse lit from the upper left, shaded ring by ring, with a smaller shape beside it.
    cx, cy = width * rng.uniform(0.4, 0.6), height * rng.uniform(0.45, 0.55)
    rx, ry = width * rng.uniform(0.2, 0.3), height * rng.uniform(0.25, 0.35)
    colour = [rng.randint(40, 200) for _ in range(3)]
    for step in range(40, 0, -1):
        k = step / 40
        light = 0.55 + 0.45 * (1 - k)
        ox, oy = -rx * 0.25 * (1 - k), -ry * 0.25 * (1 - k)
        draw.ellipse([cx - rx * k + ox, cy - ry * k + oy, cx + rx * k + ox, cy + ry * k + oy],
                     fill=tuple(min(255, int(c * light)) for c in colour))
    side = min(width, height) * 0.12
    draw.rectangle([cx + rx * 0.8, cy + ry * 0.5, cx + rx * 0.8 + side, cy + ry * 0.5 + side],
                   fill=tuple(255 - c for c in colour))
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    noise = Image.effect_noise((width, height), 18).convert("RGB")
    return Image.blend(image, noise, 0.06)


def _cutout(size, seed):
    """A star with a hole, on a transparent background."""
    rng = random.Random(seed)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = []
    for i in range(10):
        r = size * (0.45 if i % 2 == 0 else 0.2)
        a = math.pi / 5 * i - math.pi / 2
        points.append((size / 2 + r * math.cos(a), size / 2 + r * math.sin(a)))
    draw.polygon(points, fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255), 255))
    draw.ellipse([size * 0.44, size * 0.44, size * 0.56, size * 0.56], fill=(0, 0, 0, 0))
    return image


def _encode(image, fmt, **options):
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg(width=640, height=480, seed=1, quality=88):
    return _encode(_photo(width, height, seed), "JPEG", quality=quality)


def png(size=320, seed=2):
    return _encode(_cutout(size, seed), "PNG")


def webp(size=320, seed=3):
    return _encode(_cutout(size, seed), "WEBP", quality=85)


def rotated_jpeg(width=400, height=300, seed=4, orientation=6):
    """A landscape JPEG whose EXIF orientation says to turn it a quarter clockwise (shown as portrait)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _encode(_photo(width, height, seed), "JPEG", quality=88, exif=exif.tobytes())


def gif():
    return _encode(Image.new("P", (16, 16)), "GIF")


def text():
    return b"this is not an image, whatever its name says\n" * 20


def truncated_jpeg():
    return jpeg(200, 150, seed=5)[:40]


def pixel_bomb(width=20000, height=20000):
    """A PNG whose header declares width x height pixels, with one tiny compressed row: refused by its header,
    never decoded."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1)))
            + chunk(b"IEND", b""))


def multipart(files, fields=None, boundary="keel-image2model-boundary"):
    """(body, content type) of a multipart/form-data upload: files as [(filename, bytes)], fields as a dict."""
    out = io.BytesIO()
    for name, value in (fields or {}).items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for filename, data in files:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{filename}"\r\n'
                  f'Content-Type: application/octet-stream\r\n\r\n'.encode())
        out.write(data)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"
