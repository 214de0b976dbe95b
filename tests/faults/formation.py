"""A pg_auto_failover formation on loopback: a monitor, a primary and two synchronous
standbys, each a ``pg_autoctl`` service of Debian's package, that a test may kill,
freeze and bring back.

Every node is one ``pg_autoctl run`` (its keeper) and the PostgreSQL it supervises.
``kill()`` SIGKILLs every process of the node by pid: the keeper, its services,
the postmaster and every backend, which is what a lost machine looks like to the
others (nothing is shut down cleanly, no connection is closed by the node).
``freeze()`` SIGSTOPs the same processes: the node's sockets stay open and its
kernel still answers TCP, but nothing answers a query, as behind a network
partition; ``thaw()`` lets it run again. ``restart()`` starts the keeper again
on the same data directory: it finds out from the monitor what the node is now.

The monitor's timeouts are cut to a few seconds (``MONITOR_SETTINGS``), so a
failover takes seconds instead of the half minute production's defaults allow.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg

from tests.faults.debian_postgres import (
    PG_AUTOCTL,
    PG_BIN,
    free_port,
    owned_dir,
    run_as,
    run_tool,
    user_env,
    wait_until_accepting,
)

FORMATION = "default"
DATABASE = "localcoin"
# The monitor decides in seconds: a node is checked every second, unhealthy after
# two seconds without a report and a failed check, and a primary that cannot be
# reached is given three seconds to demote itself before a standby is promoted.
# Production defaults (ms): period 5000, timeout 5000, retries 2, retry delay 2000,
# unhealthy 20000, demote 30000, startup grace 10000.
MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 1,
    "pgautofailover.health_check_retry_delay": 500,
    "pgautofailover.node_considered_unhealthy_timeout": 2000,
    "pgautofailover.primary_demote_timeout": 3000,
    "pgautofailover.startup_grace_period": 2000,
}
# A standby about to be promoted waits this long for its WAL receiver to stop
# (seconds; default 5): a frozen primary's TCP connection stays open, so the
# receiver notices nothing and the wait runs out in full.
KEEPER_SETTINGS = {"timeout.prepare_promotion_walreceiver": 1}
STATE_TIMEOUT_S = 120.0
# Loopback only, so no passwords and no TLS; Debian's PostgreSQL 15, whatever else
# is on the PATH.
LOOPBACK_TRUST = ["--auth", "trust", "--no-ssl", "--pgctl", str(PG_BIN / "pg_ctl")]


@dataclass
class Service:
    """One ``pg_autoctl`` service (the monitor or a node) and its data directory."""

    name: str
    home: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    kills: int = 0

    @property
    def pgdata(self) -> Path:
        return self.home / self.name

    @property
    def log_path(self) -> Path:
        return self.home / f"{self.name}.log"

    def launch(self, args: list[str]) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(PG_AUTOCTL), *args],
                stdout=log,
                stderr=log,
                env=user_env(self.home),
                user=run_as(),
                cwd=self.home,
                start_new_session=True,
            )

    def restart(self) -> None:
        self.launch(["run", "--pgdata", str(self.pgdata)])

    def pids(self) -> list[int]:
        """Every process of the node: the keeper's tree and the postmaster's (the
        postmaster is a child of a keeper service, but one started before a keeper
        died would no longer be in its tree)."""
        found: set[int] = set()
        roots = [self.process.pid] if self.process is not None else []
        postmaster = self._postmaster()
        if postmaster is not None:
            roots.append(postmaster)
        for pid in roots:
            try:
                root = psutil.Process(pid)
                found |= {pid} | {child.pid for child in root.children(recursive=True)}
            except psutil.NoSuchProcess:
                continue
        return sorted(found)

    def _postmaster(self) -> int | None:
        try:
            first = (self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0]
        except (FileNotFoundError, PermissionError):
            return None
        pid = int(first) if first.strip().isdigit() else None
        return pid if pid is not None and psutil.pid_exists(pid) else None

    def signal_all(self, signum: signal.Signals) -> list[int]:
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                continue
        return pids

    def kill(self) -> None:
        """SIGKILL every process of the node at once, as a lost machine. The processes
        are stopped first, until no new one appears: a backend forked between listing
        and killing would otherwise outlive its postmaster for a moment."""
        pids = self._stopped_for_good()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert pids, f"{self.name} has no process to kill"
        if self.process is not None:
            self.process.wait()
        psutil.wait_procs([p for p in map(_process, pids) if p is not None], timeout=10)
        self.kills += 1

    def _stopped_for_good(self) -> list[int]:
        stopped: set[int] = set()
        while True:
            pids = set(self.pids()) - stopped
            if not pids:
                return sorted(stopped)
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            stopped |= pids

    def freeze(self) -> None:
        assert self._stopped_for_good(), f"{self.name} has no process to freeze"

    def thaw(self) -> None:
        self.signal_all(signal.SIGCONT)

    def stop(self) -> None:
        """Everything of the node gone, even frozen (a stopped process ignores nothing
        but SIGKILL)."""
        pids = self.signal_all(signal.SIGKILL)
        if self.process is not None and self.process.poll() is None:
            self.process.wait(timeout=10)
        psutil.wait_procs([p for p in map(_process, pids) if p is not None], timeout=10)


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


@dataclass(frozen=True)
class NodeState:
    name: str
    reported: str
    goal: str
    port: int


@dataclass
class Formation:
    """The monitor and three data nodes, all under ``home``."""

    home: Path
    test_timeouts: bool
    monitor: Service = field(init=False)
    nodes: list[Service] = field(init=False)

    def __post_init__(self) -> None:
        self.monitor = Service("monitor", self.home, free_port())
        self.nodes = [Service(f"node{n}", self.home, free_port()) for n in (1, 2, 3)]

    @property
    def monitor_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.monitor.port}/pg_auto_failover"

    @property
    def monitor_uri_for_nodes(self) -> str:
        return (
            f"postgres://autoctl_node@127.0.0.1:{self.monitor.port}/pg_auto_failover"
            "?sslmode=disable"
        )

    def node(self, name: str) -> Service:
        (found,) = [node for node in self.nodes if node.name == name]
        return found

    def node_url(self, node: Service, database: str = DATABASE) -> str:
        return f"postgresql://postgres@127.0.0.1:{node.port}/{database}"

    def create(self) -> None:
        """Monitor, then the primary, then both standbys; then synchronous replication
        to any one of the two standbys (number_sync_standbys = 1)."""
        run_tool(
            [
                str(PG_AUTOCTL),
                "create",
                "monitor",
                "--pgdata",
                str(self.monitor.pgdata),
                "--pgport",
                str(self.monitor.port),
                "--hostname",
                "127.0.0.1",
                *LOOPBACK_TRUST,
            ],
            self.home,
        )
        self.monitor.restart()
        wait_until_accepting(self.monitor_url, "the monitor")
        with psycopg.connect(self.monitor_url, autocommit=True) as conn:
            for name, value in (MONITOR_SETTINGS if self.test_timeouts else {}).items():
                conn.execute(f"ALTER SYSTEM SET {name} = {int(value)}")
            conn.execute("SELECT pg_reload_conf()")
        first, *standbys = self.nodes
        self._create_node(first)
        self.wait_for(lambda s: in_state(s, first, "single"), "a single primary")
        for node in standbys:
            self._create_node(node)
        self.wait_for(self._all_secondary, "two standbys", nudge=self._checkpoint)
        if self.test_timeouts:
            for node in self.nodes:
                self._configure_keeper(node)
        with psycopg.connect(self.monitor_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pgautofailover.set_formation_number_sync_standbys(%s, 1)", [FORMATION]
            )
        self.wait_for(self._synchronous, "synchronous replication to ANY 1 standby")

    def _configure_keeper(self, node: Service) -> None:
        for name, value in KEEPER_SETTINGS.items():
            run_tool(
                [str(PG_AUTOCTL), "config", "set", "--pgdata", str(node.pgdata), name, str(value)],
                self.home,
            )
        run_tool([str(PG_AUTOCTL), "reload", "--pgdata", str(node.pgdata)], self.home)

    def _create_node(self, node: Service) -> None:
        node.launch(
            [
                "create",
                "postgres",
                "--pgdata",
                str(node.pgdata),
                "--pgport",
                str(node.port),
                "--hostname",
                "127.0.0.1",
                "--name",
                node.name,
                "--dbname",
                DATABASE,
                *LOOPBACK_TRUST,
                "--monitor",
                self.monitor_uri_for_nodes,
                "--run",
            ]
        )

    def _checkpoint(self) -> None:
        """A standby's base backup waits for a checkpoint, spread over minutes by
        default; asking the primary (the first node, while the formation is made)
        for one makes it immediate."""
        try:
            with psycopg.connect(
                self.node_url(self.nodes[0], "postgres"), connect_timeout=2
            ) as conn:
                conn.execute("CHECKPOINT")
        except psycopg.OperationalError:
            return

    def _all_secondary(self, states: dict[str, NodeState]) -> bool:
        primaries = [s for s in states.values() if s.reported == s.goal == "primary"]
        secondaries = [s for s in states.values() if s.reported == s.goal == "secondary"]
        return len(primaries) == 1 and len(secondaries) == 2

    def _synchronous(self, states: dict[str, NodeState]) -> bool:
        primary = self.primary_or_none()
        if primary is None:
            return False
        with psycopg.connect(self.node_url(primary, "postgres")) as conn:
            row = conn.execute("SHOW synchronous_standby_names").fetchone()
        return row is not None and str(row[0]).startswith("ANY 1 (")

    def states(self) -> dict[str, NodeState]:
        with psycopg.connect(self.monitor_url, connect_timeout=2) as conn:
            rows = conn.execute(
                "SELECT nodename, reportedstate::text, goalstate::text, nodeport"
                " FROM pgautofailover.node ORDER BY nodeid"
            ).fetchall()
        return {row[0]: NodeState(row[0], row[1], row[2], row[3]) for row in rows}

    def primary_or_none(self) -> Service | None:
        states = self.states()
        primaries = [node for node in self.nodes if in_state(states, node, "primary")]
        return primaries[0] if len(primaries) == 1 else None

    def primary(self) -> Service:
        primary = self.primary_or_none()
        assert primary is not None, self.states()
        return primary

    def standbys(self) -> list[Service]:
        states = self.states()
        return [
            n for n in self.nodes if states[n.name].reported == states[n.name].goal == "secondary"
        ]

    def wait_for(
        self,
        condition: Callable[[dict[str, NodeState]], bool],
        what: str,
        *,
        timeout_s: float = STATE_TIMEOUT_S,
        nudge: Callable[[], None] | None = None,
    ) -> float:
        """Polls the monitor until ``condition(states)``; returns the seconds it took."""
        started = time.monotonic()
        while True:
            states = self.states()
            if condition(states):
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                raise AssertionError(f"timed out waiting for {what}: {states}")
            if nudge is not None:
                nudge()
            time.sleep(0.25)

    def uri(self) -> str:
        """The formation's URI exactly as ``pg_autoctl show uri`` prints it."""
        out = run_tool(
            [
                str(PG_AUTOCTL),
                "show",
                "uri",
                "--formation",
                FORMATION,
                "--pgdata",
                str(self.monitor.pgdata),
            ],
            self.home,
        )
        return out.strip()

    def stop(self) -> None:
        for service in [*self.nodes, self.monitor]:
            service.stop()


def in_state(states: dict[str, NodeState], node: Service, state: str) -> bool:
    """The node reported ``state`` and the monitor wants it there (settled)."""
    found = states.get(node.name)
    return found is not None and found.reported == found.goal == state


def new_formation(home: Path) -> Formation:
    """A formation with the test timeouts, or pg_auto_failover's own defaults when
    ``LOCALCOIN_FAILOVER_TIMEOUTS=production`` (to measure what production sees)."""
    production = os.environ.get("LOCALCOIN_FAILOVER_TIMEOUTS") == "production"
    return Formation(owned_dir(home), test_timeouts=not production)
