"""The reference dispatcher: a polling loop over the database in the manner of FreeSWITCH's
mod_callcenter, in plain psycopg, on tables of its own in the benchmark's PostgreSQL database.

mod_callcenter keeps members (callers), agents and tiers (agent ↔ queue, with a level) in SQL
tables. One agent-dispatch thread loops: ``SELECT … FROM members WHERE state = 'Waiting' ORDER BY
score DESC``, and for each member runs the agents query (``agents JOIN tiers`` where the agent is
Available and Waiting, ``ORDER BY`` the queue strategy, e.g. longest-idle-agent), claims the
first agent and offers the call; then ``switch_yield(100000)`` — it sleeps 100 ms and polls
again. Events (a caller joins, an agent frees up) only write rows; the loop finds them.

Here each member's claim is one transaction: the member row and the longest-idle eligible agent
are locked with ``SELECT … FOR UPDATE SKIP LOCKED`` (so several dispatchers could share the
work), the agent is marked receiving and an assignment row is written. Tier rules as in the
router's queue: the call's competence at level ≥ 2 first; after 30 s any agent with the language.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import psycopg

from bench.routing.common import STEP1_LEVEL, STEP1_TIMEOUT, Call, Driver, OperatorSpec

SCHEMA = """
CREATE TABLE bench_cc_agent (
    id integer PRIMARY KEY,
    state varchar(12) NOT NULL,               -- waiting | receiving | in_call
    idle_since timestamptz NOT NULL,
    freed_sched double precision NOT NULL     -- the benchmark's scheduled time of the last end
);
CREATE INDEX ON bench_cc_agent (state, idle_since);
CREATE TABLE bench_cc_tier (
    agent_id integer NOT NULL REFERENCES bench_cc_agent, skill integer NOT NULL,
    level smallint NOT NULL, PRIMARY KEY (skill, agent_id)
);
CREATE TABLE bench_cc_language (
    agent_id integer NOT NULL REFERENCES bench_cc_agent, language varchar(2) NOT NULL,
    PRIMARY KEY (agent_id, language)
);
CREATE TABLE bench_cc_member (
    id bigserial PRIMARY KEY, ref varchar(40) NOT NULL UNIQUE, skill integer NOT NULL,
    language varchar(2) NOT NULL, state varchar(12) NOT NULL,  -- waiting | trying | answered | done
    joined_at timestamptz NOT NULL, sched double precision NOT NULL, agent_id integer
);
CREATE INDEX bench_cc_member_waiting ON bench_cc_member (joined_at) WHERE state = 'waiting';
CREATE TABLE bench_cc_assignment (
    id bigserial PRIMARY KEY, member_id bigint NOT NULL, agent_id integer NOT NULL,
    offered_at timestamptz NOT NULL, ended_at timestamptz
);
CREATE INDEX ON bench_cc_assignment (member_id);
CREATE INDEX ON bench_cc_assignment (agent_id);
"""

_AGENT = """
SELECT a.id, a.freed_sched FROM bench_cc_agent a
WHERE a.state = 'waiting'
  AND EXISTS (SELECT 1 FROM bench_cc_language l WHERE l.agent_id = a.id AND l.language = %(lang)s)
  {tier}
ORDER BY a.idle_since LIMIT 1
FOR UPDATE OF a SKIP LOCKED
"""
_TIER = (
    "AND EXISTS (SELECT 1 FROM bench_cc_tier t WHERE t.agent_id = a.id AND t.skill = %(skill)s"
    f" AND t.level >= {STEP1_LEVEL})"
)
AGENT_EXPERT = _AGENT.format(tier=_TIER)
AGENT_ANY = _AGENT.format(tier="")


def seed(dsn: str, specs: Sequence[OperatorSpec]) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO bench_cc_agent VALUES "
                "(%s, 'waiting', now() - make_interval(secs => %s), -1e18)",
                [(s.number, s.idle_seconds) for s in specs],
            )
            cur.executemany(
                "INSERT INTO bench_cc_tier VALUES (%s, %s, %s)",
                [(s.number, k, v) for s in specs for k, v in s.skills.items()],
            )
            cur.executemany(
                "INSERT INTO bench_cc_language VALUES (%s, %s)",
                [(s.number, lang) for s in specs for lang in s.languages],
            )
        conn.execute("ANALYZE")


def reset(dsn: str) -> None:
    """Empty the members and assignments and free every agent (before each run)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE bench_cc_member, bench_cc_assignment")
        conn.execute("UPDATE bench_cc_agent SET state = 'waiting', freed_sched = -1e18")
        conn.execute("VACUUM ANALYZE bench_cc_agent")


class Reference:
    """Events write rows (one transaction each, on worker threads); one dispatcher thread polls
    every ``poll`` seconds. Latency: from the scheduled time of the event that made the
    assignment possible (the caller's arrival, or the end that freed the agent) to the commit of
    the assignment."""

    def __init__(self, dsn: str, calls: Sequence[Call], poll: float) -> None:
        self.dsn = dsn
        self.calls = {c.ref: c for c in calls}
        self.poll = poll
        self.samples: dict[str, list[float]] = {"queued": [], "available": []}
        self.counts: Counter[str] = Counter()
        self.window = (0.0, 0.0)
        self.last_done = 0.0
        self._local = threading.local()
        self._lock = threading.Lock()
        self.driver: Driver | None = None
        self.passes = 0
        self.errors: list[str] = []
        self.lag: list[float] = []
        self.dropped = 0

    def _conn(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = psycopg.connect(self.dsn)
            self._local.conn = conn
        return conn

    def _measured(self, at: float) -> bool:
        return self.window[0] <= at < self.window[1]

    def handle(self, kind: str, payload: Any, at: float) -> None:
        conn = self._conn()
        assert self.driver is not None
        if kind == "arrive":
            call: Call = payload
            with conn.transaction():
                conn.execute(
                    "INSERT INTO bench_cc_member (ref, skill, language, state, joined_at, sched)"
                    " VALUES (%s, %s, %s, 'waiting', now(), %s)",
                    (call.ref, call.skill, call.language, at),
                )
        elif kind == "answer":
            ref, member_id, agent_id = payload
            with conn.transaction():
                conn.execute(
                    "UPDATE bench_cc_member SET state = 'answered' WHERE id = %s", (member_id,)
                )
                conn.execute(
                    "UPDATE bench_cc_agent SET state = 'in_call' WHERE id = %s", (agent_id,)
                )
            self.driver.schedule(
                time.monotonic() + self.calls[ref].handle, "end", (member_id, agent_id)
            )
        elif kind == "end":
            member_id, agent_id = payload
            with conn.transaction():
                conn.execute(
                    "UPDATE bench_cc_member SET state = 'done' WHERE id = %s", (member_id,)
                )
                conn.execute(
                    "UPDATE bench_cc_assignment SET ended_at = clock_timestamp() "
                    "WHERE member_id = %s AND ended_at IS NULL",
                    (member_id,),
                )
                conn.execute(
                    "UPDATE bench_cc_agent SET state = 'waiting', idle_since = clock_timestamp(),"
                    " freed_sched = %s WHERE id = %s",
                    (at, agent_id),
                )
        if kind in ("arrive", "end") and self._measured(at):
            with self._lock:
                self.counts[kind] += 1
                self.last_done = time.monotonic()

    def dispatch_loop(self, stop: threading.Event) -> None:
        """The agent-dispatch thread."""
        conn = psycopg.connect(self.dsn)
        assert self.driver is not None
        while not stop.is_set():
            self.passes += 1
            with conn.transaction():
                waiting = conn.execute(
                    "SELECT id FROM bench_cc_member WHERE state = 'waiting' ORDER BY joined_at"
                ).fetchall()
            for (member_id,) in waiting:
                self._offer(conn, member_id)
            time.sleep(self.poll)
        conn.close()

    def _offer(self, conn: psycopg.Connection[Any], member_id: int) -> None:
        assert self.driver is not None
        with conn.transaction():
            member = conn.execute(
                "SELECT ref, skill, language, sched FROM bench_cc_member "
                "WHERE id = %s AND state = 'waiting' FOR UPDATE SKIP LOCKED",
                (member_id,),
            ).fetchone()
            if member is None:
                return
            ref, skill, language, sched = member
            params = {"skill": skill, "lang": language}
            agent = conn.execute(AGENT_EXPERT, params).fetchone()
            escalated = False
            if agent is None and time.monotonic() - sched >= STEP1_TIMEOUT:
                agent = conn.execute(AGENT_ANY, params).fetchone()
                escalated = True
            if agent is None:
                return
            agent_id, freed = agent
            conn.execute("UPDATE bench_cc_agent SET state = 'receiving' WHERE id = %s", (agent_id,))
            conn.execute(
                "UPDATE bench_cc_member SET state = 'trying', agent_id = %s WHERE id = %s",
                (agent_id, member_id),
            )
            conn.execute(
                "INSERT INTO bench_cc_assignment (member_id, agent_id, offered_at) "
                "VALUES (%s, %s, clock_timestamp())",
                (member_id, agent_id),
            )
        done = time.monotonic()
        trigger, kind = (sched, "queued") if sched >= freed else (freed, "available")
        if escalated and trigger < sched + STEP1_TIMEOUT:
            kind = "timer"  # the tier rule's timeout made the match, not an event
        with self._lock:
            if kind != "timer" and self._measured(trigger):
                self.samples[kind].append(done - trigger)
            self.counts["offers_" + kind] += 1
        self.driver.schedule(done + self.calls[ref].ring, "answer", (ref, member_id, agent_id))

    def run(self, start: float, warmup: float, duration: float, workers: int) -> None:
        self.window = (start + warmup, start + warmup + duration)
        driver = Driver(self.handle, workers)
        self.driver = driver
        for call in self.calls.values():
            driver.schedule(start + call.at, "arrive", call)
        stop = threading.Event()
        loop = threading.Thread(target=self.dispatch_loop, args=(stop,), daemon=True)
        loop.start()
        driver.run(until=self.window[1])
        stop.set()
        loop.join()
        self.errors = driver.errors
        self.lag = driver.lag
        self.dropped = driver.dropped

    def double_assignments(self) -> dict[str, Any]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            span = (
                "WITH r AS (SELECT id, member_id, agent_id, offered_at AS s, "
                "coalesce(ended_at, 'infinity') AS e FROM bench_cc_assignment) "
            )
            members = conn.execute(
                span + "SELECT count(*) FROM r a JOIN r b ON a.member_id = b.member_id "
                "AND a.id < b.id AND a.s < b.e AND b.s < a.e"
            ).fetchone()
            agents = conn.execute(
                span + "SELECT count(*) FROM r a JOIN r b ON a.agent_id = b.agent_id "
                "AND a.id < b.id AND a.s < b.e AND b.s < a.e"
            ).fetchone()
            total = conn.execute("SELECT count(*) FROM bench_cc_assignment").fetchone()
            sync = conn.execute("SHOW synchronous_commit").fetchone()
        return {
            "reservations": int(total[0]) if total else 0,
            "task_overlaps": int(members[0]) if members else 0,
            "operator_overlaps": int(agents[0]) if agents else 0,
            "synchronous_commit": sync[0] if sync else "",
        }
