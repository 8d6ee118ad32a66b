"""S3-compatible adapter of the recordings store (production): any server that speaks the S3
protocol (MinIO, Ceph RGW, a cloud's object storage), reached through boto3.

Settings: ``RECORDINGS_S3_ENDPOINT_URL``, ``RECORDINGS_S3_BUCKET``, ``RECORDINGS_S3_ACCESS_KEY``,
``RECORDINGS_S3_SECRET_KEY``, ``RECORDINGS_S3_REGION``. Path-style addressing, so an on-premises
server needs no wildcard DNS. Only this module imports the vendor SDK.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from qoldau.recordings.ports import (
    CHUNK,
    Hasher,
    ObjectMissing,
    Readable,
    StoredObject,
    StoreError,
    check_key,
    iter_chunks,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
SPOOL_BYTES = 8 * 1024 * 1024


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in MISSING_CODES


class S3RecordingStore:
    def __init__(
        self,
        *,
        endpoint_url: str | None = None,
        bucket: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket or settings.RECORDINGS_S3_BUCKET
        if not self.bucket:
            raise StoreError("RECORDINGS_S3_BUCKET must be set for the S3 recordings store")
        self.client: S3Client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url or settings.RECORDINGS_S3_ENDPOINT_URL or None,
            aws_access_key_id=access_key or settings.RECORDINGS_S3_ACCESS_KEY or None,
            aws_secret_access_key=secret_key or settings.RECORDINGS_S3_SECRET_KEY or None,
            region_name=region or settings.RECORDINGS_S3_REGION or None,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
            ),
        )

    def put(
        self, key: str, data: bytes | Readable, *, content_type: str = "application/octet-stream"
    ) -> StoredObject:
        check_key(key)
        hasher = Hasher()
        # Spool the input once: hashing and the upload each need to read it.
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            for chunk in iter_chunks(data):
                spool.write(hasher.update(chunk))
            spool.seek(0)
            try:
                self.client.upload_fileobj(
                    spool,
                    self.bucket,
                    key,
                    ExtraArgs={
                        "ContentType": content_type,
                        "Metadata": {"sha256": hasher.hexdigest},
                    },
                )
            except (BotoCoreError, ClientError) as exc:
                raise StoreError(f"S3 put {key}: {exc}") from exc
        return StoredObject(key=key, size=hasher.size, sha256=hasher.hexdigest)

    def open(self, key: str, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        check_key(key)
        wanted = f"bytes={start}-{'' if end is None else end}"
        try:
            if start == 0 and end is None:
                response = self.client.get_object(Bucket=self.bucket, Key=key)
            else:
                response = self.client.get_object(Bucket=self.bucket, Key=key, Range=wanted)
        except ClientError as exc:
            if _missing(exc):
                raise ObjectMissing(key) from exc
            raise StoreError(f"S3 get {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StoreError(f"S3 get {key}: {exc}") from exc
        body = response["Body"]
        return self._read(body)

    @staticmethod
    def _read(body: Any) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def size(self, key: str) -> int:
        check_key(key)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _missing(exc):
                raise ObjectMissing(key) from exc
            raise StoreError(f"S3 head {key}: {exc}") from exc
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        check_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(f"S3 delete {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectMissing:
            return False
        return True
