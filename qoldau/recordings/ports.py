"""The recordings store port (R17, design rule 5): where call recordings and the written request
documents of the authorized bodies are kept.

Adapters (chosen by the dotted path ``RECORDINGS_STORAGE_ADAPTER``, the way ``EMAIL_BACKEND``
works):

- ``adapters.local.LocalRecordingStore``: files under ``RECORDINGS_STORAGE_ROOT`` (the default,
  ``var/recordings``);
- ``adapters.s3.S3RecordingStore``: an S3-compatible object store through boto3 (production).

Keys are relative, slash-separated names (``calls/2026/12/03/c1.wav``); an adapter refuses any
other. ``put`` reads its input once, so it returns the size and SHA-256 of exactly what it stored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

CHUNK = 64 * 1024
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class StoreError(Exception):
    """The store could not do what was asked (a network error, a full disk)."""


class ObjectMissing(StoreError):
    """No object is stored under the key."""


class BadKey(StoreError):
    """The key is not a relative slash-separated name."""


class Readable(Protocol):
    """A binary stream: an open file, an HTTP response, an upload."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str


class RecordingStore(Protocol):
    """Keeps binary objects by key; every adapter passes the same contract tests."""

    def put(
        self, key: str, data: bytes | Readable, *, content_type: str = "application/octet-stream"
    ) -> StoredObject:
        """Store ``data`` (bytes or a binary stream read to its end) under ``key``, replacing
        what was there; returns its size and SHA-256."""
        ...

    def open(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes ``start``..``end`` (inclusive; ``end=None``: to the last byte) in chunks.
        Raises ``ObjectMissing``."""
        ...

    def size(self, key: str) -> int:
        """The object's length in bytes. Raises ``ObjectMissing``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; removing a missing one is not an error."""
        ...

    def exists(self, key: str) -> bool: ...


def check_key(key: str) -> str:
    if not isinstance(key, str) or len(key) > 512 or not _KEY.match(key) or ".." in key:
        raise BadKey(f"not a store key: {key!r}")
    return key


def iter_chunks(data: bytes | Readable) -> Iterator[bytes]:
    """The input in chunks, whether it is bytes or a stream."""
    if isinstance(data, bytes | bytearray | memoryview):
        view = bytes(data)
        for offset in range(0, len(view), CHUNK):
            yield view[offset : offset + CHUNK]
        return
    while True:
        chunk = data.read(CHUNK)
        if not chunk:
            return
        yield chunk


class Hasher:
    """Counts and hashes what passes through it."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes) -> bytes:
        self._sha.update(chunk)
        self.size += len(chunk)
        return chunk

    @property
    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def recording_store() -> RecordingStore:
    """The configured store (a new adapter object each time; adapters are cheap to build)."""
    factory = import_string(settings.RECORDINGS_STORAGE_ADAPTER)
    store: RecordingStore = factory()
    return store
