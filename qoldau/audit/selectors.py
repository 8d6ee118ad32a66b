from __future__ import annotations

from dataclasses import dataclass, field

from qoldau.audit.hashing import GENESIS, event_hash, hashed_fields
from qoldau.audit.models import AuditChain, AuditEvent
from qoldau.audit.services import _at_iso


@dataclass
class ChainReport:
    chain: str
    events: int = 0
    problems: list[str] = field(default_factory=list)


def audit_verify_chain(chain: AuditChain) -> ChainReport:
    """Walk a chain in order: every event's hash, its link to the previous one, no gaps, and
    the head row agreeing with the last event (a deleted tail shows there)."""
    report = ChainReport(chain=chain.name)
    expected_seq = 1
    prev_hash = GENESIS
    events = AuditEvent.objects.filter(chain=chain.name).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        report.events += 1
        if event.seq != expected_seq:
            report.problems.append(f"events {expected_seq}..{event.seq - 1} are missing")
            prev_hash = event.prev_hash
        elif event.prev_hash != prev_hash:
            report.problems.append(f"event {event.seq} does not link to event {event.seq - 1}")
        recomputed = event_hash(
            hashed_fields(
                chain=event.chain,
                seq=event.seq,
                at_iso=_at_iso(event.at),
                actor_user_id=event.actor_user_id,
                actor_label=event.actor_label,
                action=event.action,
                target_type=event.target_type,
                target_id=event.target_id,
                changes=event.changes,
                request_id=event.request_id,
                prev_hash=event.prev_hash,
            )
        )
        if recomputed != event.hash:
            report.problems.append(f"event {event.seq} was changed after it was written")
        prev_hash = event.hash
        expected_seq = event.seq + 1
    last_seq = expected_seq - 1
    if chain.last_seq != last_seq:
        report.problems.append(
            f"the chain head says {chain.last_seq} events, the table ends at {last_seq}"
        )
    elif chain.last_seq and chain.last_hash != prev_hash:
        report.problems.append("the chain head's hash does not match the last event")
    return report


def audit_verify_all() -> list[ChainReport]:
    return [audit_verify_chain(chain) for chain in AuditChain.objects.order_by("name")]
