"""Local-files adapter of the recordings store: one file per key under a root folder.

Writes go to a temporary file in the same folder and are renamed into place, so a reader never
sees half a recording and a crash leaves no partial object under the key.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from qoldau.recordings.ports import (
    CHUNK,
    Hasher,
    ObjectMissing,
    Readable,
    StoredObject,
    check_key,
    iter_chunks,
)


class LocalRecordingStore:
    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root or settings.RECORDINGS_STORAGE_ROOT).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise ObjectMissing(key)
        return path

    def put(
        self, key: str, data: bytes | Readable, *, content_type: str = "application/octet-stream"
    ) -> StoredObject:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        hasher = Hasher()
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in iter_chunks(data):
                    out.write(hasher.update(chunk))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return StoredObject(key=key, size=hasher.size, sha256=hasher.hexdigest)

    def open(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise ObjectMissing(key) from exc
        return self._read(handle, start, end)

    @staticmethod
    def _read(handle: BinaryIO, start: int, end: int | None) -> Iterator[bytes]:
        with handle:
            handle.seek(start)
            left = None if end is None else end - start + 1
            while left is None or left > 0:
                chunk = handle.read(CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError as exc:
            raise ObjectMissing(key) from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()
