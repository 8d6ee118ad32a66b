"""The canonical form of an audit event and its hash (pure functions)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def normalise_changes(changes: Any) -> Any:
    """What the JSON column will give back: plain JSON types, so hashes survive a round trip."""
    return json.loads(json.dumps(changes, default=str, ensure_ascii=False))


def event_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def hashed_fields(
    *,
    chain: str,
    seq: int,
    at_iso: str,
    actor_user_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    changes: Any,
    request_id: str,
    prev_hash: str,
) -> dict[str, Any]:
    return {
        "chain": chain,
        "seq": seq,
        "at": at_iso,
        "actor_user_id": actor_user_id,
        "actor_label": actor_label,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "changes": changes,
        "request_id": request_id,
        "prev_hash": prev_hash,
    }
