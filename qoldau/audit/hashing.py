"""The canonical form of an audit event and its hash (pure functions)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


_SCALARS = (str, int, bool, type(None))


def normalise_changes(changes: Any) -> Any:
    """What the JSON column will give back: plain JSON types, so hashes survive a round trip."""
    if type(changes) is dict and all(
        type(k) is str and type(v) in _SCALARS for k, v in changes.items()
    ):
        return dict(changes)  # already what comes back (a flat object of strings and numbers)
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


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_parts(
    *,
    chain: str,
    at_iso: str,
    actor_user_id: int | None,
    actor_label: str,
    action: str,
    target_type: str,
    target_id: str,
    changes: Any,
    request_id: str,
) -> tuple[str, str, str]:
    """The canonical text of an event cut around the two values only the chain's head knows:
    ``before + prev_hash + between + str(seq) + after`` is exactly what ``event_hash`` hashes
    (keys in sorted order, as ``json.dumps(sort_keys=True)`` writes them). The database can then
    append to the chain without a round trip for its head (migration audit 0003)."""
    before = (
        f'{{"action":{_canonical(action)},"actor_label":{_canonical(actor_label)},'
        f'"actor_user_id":{_canonical(actor_user_id)},"at":{_canonical(at_iso)},'
        f'"chain":{_canonical(chain)},"changes":{_canonical(changes)},"prev_hash":"'
    )
    between = f'","request_id":{_canonical(request_id)},"seq":'
    after = f',"target_id":{_canonical(target_id)},"target_type":{_canonical(target_type)}}}'
    return before, between, after
