"""The store port: the local adapter and the S3 adapter against a real S3 protocol peer (moto's
server on a loopback port) pass the same contract."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from qoldau.recordings.adapters.local import LocalRecordingStore
from qoldau.recordings.adapters.s3 import S3RecordingStore
from qoldau.recordings.ports import BadKey, ObjectMissing, RecordingStore, recording_store

BUCKET = "qoldau-recordings-test"


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def _s3(url: str) -> S3RecordingStore:
    return S3RecordingStore(
        endpoint_url=url,
        bucket=BUCKET,
        access_key="test",
        secret_key="test",
        region="us-east-1",
    )


@pytest.fixture(params=["local", "s3"])
def store(request: Any, tmp_path: Path) -> RecordingStore:
    if request.param == "local":
        return LocalRecordingStore(tmp_path / "store")
    return _s3(request.getfixturevalue("s3_server"))


DATA = bytes(range(256)) * 1000  # 256,000 bytes: several chunks


def _read(store: RecordingStore, key: str, **kwargs: Any) -> bytes:
    return b"".join(store.open(key, **kwargs))


def test_put_returns_size_and_sha256_and_reads_back(store: RecordingStore) -> None:
    stored = store.put("calls/2026/12/03/a.wav", DATA, content_type="audio/wav")
    assert (stored.size, stored.sha256) == (len(DATA), hashlib.sha256(DATA).hexdigest())
    assert store.exists("calls/2026/12/03/a.wav")
    assert store.size("calls/2026/12/03/a.wav") == len(DATA)
    assert _read(store, "calls/2026/12/03/a.wav") == DATA


def test_a_stream_is_stored_as_read(store: RecordingStore) -> None:
    stored = store.put("calls/b.wav", io.BytesIO(DATA))
    assert stored.sha256 == hashlib.sha256(DATA).hexdigest()
    assert _read(store, "calls/b.wav") == DATA


@pytest.mark.parametrize(("start", "end"), [(0, 0), (10, 20), (65530, 65600), (255990, None)])
def test_byte_ranges(store: RecordingStore, start: int, end: int | None) -> None:
    store.put("r.wav", DATA)
    expected = DATA[start : (end + 1 if end is not None else None)]
    assert _read(store, "r.wav", start=start, end=end) == expected


def test_put_replaces_and_delete_removes(store: RecordingStore) -> None:
    store.put("x/y.wav", b"first")
    store.put("x/y.wav", b"second")
    assert _read(store, "x/y.wav") == b"second"
    store.delete("x/y.wav")
    assert not store.exists("x/y.wav")
    store.delete("x/y.wav")  # deleting a missing object is not an error
    with pytest.raises(ObjectMissing):
        _read(store, "x/y.wav")
    with pytest.raises(ObjectMissing):
        store.size("x/y.wav")


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs.wav", "a//b.wav", "a/../b", "", "a b"])
def test_bad_keys_are_refused(store: RecordingStore, key: str) -> None:
    with pytest.raises(BadKey):
        store.put(key, b"data")


def test_the_setting_chooses_the_adapter(settings: Any, s3_server: str) -> None:
    settings.RECORDINGS_STORAGE_ADAPTER = "qoldau.recordings.adapters.s3.S3RecordingStore"
    settings.RECORDINGS_S3_ENDPOINT_URL = s3_server
    settings.RECORDINGS_S3_BUCKET = BUCKET
    settings.RECORDINGS_S3_ACCESS_KEY = "test"
    settings.RECORDINGS_S3_SECRET_KEY = "test"
    store = recording_store()
    assert isinstance(store, S3RecordingStore)
    store.put("setting/check.wav", b"via settings")
    assert _read(_s3(s3_server), "setting/check.wav") == b"via settings"


def test_the_local_store_leaves_no_partial_file(tmp_path: Path) -> None:
    store = LocalRecordingStore(tmp_path / "store")

    class Broken:
        def __init__(self) -> None:
            self.calls = 0

        def read(self, size: int = -1, /) -> bytes:
            self.calls += 1
            if self.calls > 2:
                raise OSError("the PBX went away")
            return b"x" * 1000

    with pytest.raises(OSError, match="went away"):
        store.put("calls/partial.wav", Broken())
    assert not store.exists("calls/partial.wav")
    assert list((tmp_path / "store" / "calls").iterdir()) == []
