"""Reading a recording where the PBX keeps it: a ``file://`` URL or a plain local path inside one
of ``RECORDINGS_PBX_LOCAL_ROOTS``, or an ``http(s)://`` URL. Nothing else is read."""

from __future__ import annotations

import mimetypes
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings

from qoldau.recordings.ports import Readable

AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".gsm": "audio/gsm"}


class FetchError(Exception):
    """The PBX's file cannot be read; ``permanent`` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class Source:
    stream: Readable
    content_type: str
    extension: str


class _Limited:
    """A stream that refuses to read past ``limit`` bytes."""

    def __init__(self, stream: Readable, limit: int) -> None:
        self._stream = stream
        self._left = limit

    def read(self, size: int = -1, /) -> bytes:
        chunk = self._stream.read(size if size and size > 0 else 65536)
        self._left -= len(chunk)
        if self._left < 0:
            raise FetchError(
                "the recording is larger than RECORDINGS_FETCH_MAX_BYTES", permanent=True
            )
        return chunk


def _type_of(name: str, header: str = "") -> tuple[str, str]:
    extension = Path(name).suffix.lower()
    if header and header.split(";")[0].strip().startswith("audio/"):
        return header.split(";")[0].strip(), extension or ".wav"
    guessed = AUDIO_TYPES.get(extension) or mimetypes.guess_type(name)[0]
    return guessed or "application/octet-stream", extension or ".bin"


def _local_path(uri: str) -> Path:
    parsed = urlparse(uri)
    raw = unquote(parsed.path) if parsed.scheme == "file" else uri
    path = Path(raw).resolve()
    roots = [Path(root).resolve() for root in settings.RECORDINGS_PBX_LOCAL_ROOTS]
    if not any(path == root or root in path.parents for root in roots):
        raise FetchError(f"{path} is outside RECORDINGS_PBX_LOCAL_ROOTS", permanent=True)
    if not path.is_file():
        raise FetchError(f"{path} does not exist (yet)")
    return path


@contextmanager
def open_source(uri: str) -> Iterator[Source]:
    """Open the PBX's recording for reading, limited to ``RECORDINGS_FETCH_MAX_BYTES``."""
    limit = int(settings.RECORDINGS_FETCH_MAX_BYTES)
    scheme = urlparse(uri).scheme.lower()
    if scheme in ("http", "https"):
        request = urllib.request.Request(uri, headers={"User-Agent": "qoldau-recordings"})  # noqa: S310 (scheme checked)
        try:
            response = urllib.request.urlopen(  # noqa: S310 (scheme checked above)
                request, timeout=int(settings.RECORDINGS_FETCH_TIMEOUT)
            )
        except OSError as exc:
            code = getattr(exc, "code", None)
            permanent = isinstance(code, int) and 400 <= code < 500 and code not in (404, 408, 429)
            raise FetchError(f"{uri}: {exc}", permanent=permanent) from exc
        with response:
            content_type, extension = _type_of(
                urlparse(uri).path, response.headers.get("Content-Type", "")
            )
            yield Source(_Limited(response, limit), content_type, extension)
        return
    if scheme in ("file", ""):
        path = _local_path(uri)
        content_type, extension = _type_of(path.name)
        with path.open("rb") as handle:
            yield Source(_Limited(handle, limit), content_type, extension)
        return
    raise FetchError(f"unsupported recording location {uri!r}", permanent=True)
