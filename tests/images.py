"""Tiny real image files for upload tests, written without Pillow."""

from __future__ import annotations

import struct
import zlib


def png_bytes(width: int, height: int, seed: int = 0) -> bytes:
    """A valid RGB PNG of the given size (pixel values depend on `seed`, so files differ)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes((x * 7 + y * 3 + seed) % 256 for x in range(width * 3)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def tiff_bytes(width: int = 2, height: int = 2) -> bytes:
    """A minimal valid little-endian TIFF: 8-bit grayscale, uncompressed, one strip."""
    pixels = bytes(range(0, 256, 256 // (width * height)))[: width * height]
    entries = [  # (tag, type: 3 SHORT / 4 LONG, value), sorted by tag as TIFF requires
        (256, 3, width),  # ImageWidth
        (257, 3, height),  # ImageLength
        (258, 3, 8),  # BitsPerSample
        (259, 3, 1),  # Compression: none
        (262, 3, 1),  # PhotometricInterpretation: BlackIsZero
        (273, 4, 0),  # StripOffsets: set below
        (277, 3, 1),  # SamplesPerPixel
        (278, 3, height),  # RowsPerStrip
        (279, 4, len(pixels)),  # StripByteCounts
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    pixel_offset = 8 + ifd_size
    ifd = struct.pack("<H", len(entries))
    for tag, kind, value in entries:
        value = pixel_offset if tag == 273 else value
        packed = struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, 1) + packed
    ifd += struct.pack("<I", 0)  # no next IFD
    return b"II*\x00" + struct.pack("<I", 8) + ifd + pixels
