"""An S3 sink (AWS or any S3-compatible store): one JSON object per transcript, written at most once."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from bot.delivery.transcript import Transcript, dataset_text
from bot.errors import ConfigError


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` gives ``("bucket", "some/prefix/")``."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ConfigError(f"CANDOR_SINKS: {url!r} is not s3://BUCKET/PREFIX")
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


class S3Sink:
    name = "s3"

    def __init__(self, url: str, endpoint_url: str | None = None, client: Any = None) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        # Credentials and region come from the usual AWS chain (environment, profile, instance role).
        self._client = client or boto3.client(
            "s3", endpoint_url=endpoint_url, config=Config(retries={"max_attempts": 3, "mode": "standard"})
        )

    def key(self, transcript_id: str) -> str:
        return f"{self.prefix}{transcript_id}.json"

    def _put(self, transcript: Transcript) -> None:
        body = json.dumps({**transcript.to_dict(), "text": dataset_text(transcript.turns)}, ensure_ascii=False)
        try:
            # Conditional: a retried delivery finds the object there and leaves it alone.
            self._client.put_object(
                Bucket=self.bucket,
                Key=self.key(transcript.transcript_id),
                Body=body.encode("utf-8"),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "412"):
                raise

    def _delete(self, transcript_id: str) -> bool:
        """Every stored version goes: on a versioned bucket a plain delete would only hide the text."""
        key = self.key(transcript_id)
        versions: list[dict[str, str]] = []
        existed = False  # the newest entry is an object, not a delete marker (unversioned: version "null")
        for page in self._client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=key):
            for entry in page.get("Versions", []):
                if entry["Key"] == key:
                    versions.append({"Key": key, "VersionId": entry["VersionId"]})
                    existed = existed or bool(entry.get("IsLatest"))
            for entry in page.get("DeleteMarkers", []):
                if entry["Key"] == key:
                    versions.append({"Key": key, "VersionId": entry["VersionId"]})
        for first in range(0, len(versions), 1000):
            self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": versions[first : first + 1000]})
        return existed

    async def deliver(self, transcript: Transcript) -> None:
        await asyncio.to_thread(self._put, transcript)

    async def check(self) -> str | None:
        """For candor doctor: does the bucket exist and answer? None when it does."""
        try:
            await asyncio.to_thread(self._client.head_bucket, Bucket=self.bucket)
        except Exception as exc:
            return f"s3://{self.bucket}: {type(exc).__name__}"
        return None

    async def delete(self, transcript_id: str) -> bool:
        return await asyncio.to_thread(self._delete, transcript_id)
