"""Short synthetic WAV files (a few tones), made with the standard library for the demo and the
tests: no recording of a real person is ever shipped."""

from __future__ import annotations

import io
import math
import struct
import wave

RATE = 8000  # telephone quality


def synthetic_wav(seconds: float = 2.0, *, tones: tuple[float, ...] = (440.0, 660.0)) -> bytes:
    """A mono 16-bit 8 kHz WAV of ``seconds``, the tones one after another."""
    frames = int(RATE * seconds)
    per_tone = max(1, frames // max(1, len(tones)))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        samples = bytearray()
        for i in range(frames):
            tone = tones[min(i // per_tone, len(tones) - 1)]
            value = int(8000 * math.sin(2 * math.pi * tone * i / RATE))
            samples += struct.pack("<h", value)
        wav.writeframes(bytes(samples))
    return out.getvalue()


def synthetic_pdf(text: str = "Request for call recordings") -> bytes:
    """A one-page PDF standing in for a scanned written request (demo and tests only)."""
    safe = text.encode("ascii", "replace").decode().replace("(", "[").replace(")", "]")
    stream = f"BT /F1 18 Tf 72 720 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()
