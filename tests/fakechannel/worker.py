"""The fake channel's wiring for `payout-core worker` processes, and how tests and the simulation run them.

    payout-core worker --store URL --dispatcher tests.fakechannel.worker:dispatcher   (FAKE_WORKER_CONFIG=file)

`dispatcher` rebuilds a bench's Dispatcher from the file Bench.worker_config wrote: the same routes, prefix and
policy; optionally a virtual clock shared through a file (FileClock: the simulation's time) and crashes planned
per order and checkpoint (plan_crash: the worker kills itself with SIGKILL there, once).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import IO

import httpx
import msgspec

from payout_core.channels import channel
from payout_core.dispatch import Checkpoint, Dispatcher, no_checkpoint
from payout_core.dispatch.adapter import new_client
from payout_core.orders import PayoutEngine
from payout_core.store import Clock, Store, from_micros, to_micros, utcnow
from tests.fakechannel.bench import WorkerConfig, fake_dispatcher
from tests.fakechannel.runner import ROOT

CONFIG_ENV = "FAKE_WORKER_CONFIG"
FACTORY = "tests.fakechannel.worker:dispatcher"


class FileClock:
    """A clock several processes share: the instant last `publish`ed to the file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> datetime:
        return from_micros(int(self.path.read_text()))

    def publish(self, instant: datetime) -> None:
        staged = self.path.with_suffix(".new")
        staged.write_text(str(to_micros(instant)))
        staged.replace(self.path)  # atomic: a reader sees the old instant or the new one


def plan_crash(crash_dir: Path, order_id: int, point: str) -> None:
    """The first worker to reach `point` ("after_route", "before_send", "after_send") for the order dies there."""
    (crash_dir / f"{order_id}.{point}").touch()


def _crashing(crash_dir: Path) -> Checkpoint:
    def checkpoint(point: str, order_id: int) -> None:
        try:
            (crash_dir / f"{order_id}.{point}").unlink()  # whoever removes it is the one that dies
        except FileNotFoundError:
            return
        os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


def dispatcher(store: Store) -> Dispatcher:
    """The `--dispatcher` factory: the bench named by the file in FAKE_WORKER_CONFIG."""
    config = msgspec.json.decode(Path(os.environ[CONFIG_ENV]).read_bytes(), type=WorkerConfig)
    clock: Clock = utcnow if config.clock_file is None else FileClock(Path(config.clock_file))
    checkpoint = no_checkpoint if config.crash_dir is None else _crashing(Path(config.crash_dir))
    profiles = config.profiles
    engine = PayoutEngine(
        store,
        clock=clock,
        channel_order_prefix=config.prefix,
        profiles=lambda name: profiles[name] if name in profiles else channel(name),
    )
    client = new_client(httpx.Timeout(5.0, read=config.read_timeout))
    return fake_dispatcher(
        engine, config.base_url, config.accounts, client, policy=config.policy, clock=clock, checkpoint=checkpoint
    )


def start_worker(
    config: Path, store_url: str, *options: str, log: IO[bytes] | int | None = None
) -> subprocess.Popen[bytes]:
    """A `payout-core worker` process on the bench of `config` (its JSON logs to `log`, else inherited stderr)."""
    command = Path(sys.executable).parent / "payout-core"
    env = {**os.environ, CONFIG_ENV: str(config), "PYTHONPATH": str(ROOT)}
    argv = [str(command), "worker", "--store", store_url, "--dispatcher", FACTORY, *options]
    return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)


def busy(store: Store, now: datetime) -> bool:
    """Whether workers have anything to do at `now`: an approved routed order to send, an attempt left `sending`
    (in flight, or its worker died: swept once its lease passes), an attempt whose next query or follow-up is due."""
    at = to_micros(now)
    with store.transaction(write=False) as tx:
        row = tx.one(
            "SELECT (SELECT COUNT(*) FROM orders WHERE state = 'approved' AND channel IS NOT NULL)"
            " + (SELECT COUNT(*) FROM dispatch_attempts WHERE status = 'sending'"
            " OR (status IN ('pending', 'review') AND next_query_at <= ?) OR follow_up_at <= ?)",
            (at, at),
        )
    return row is not None and int(row[0]) > 0


class WorkerPool:
    """`size` worker processes on one bench, kept at that number: one that dies (a planned crash) is replaced."""

    def __init__(self, config: Path, store_url: str, size: int, log_dir: Path, *options: str) -> None:
        self.config, self.store_url, self.log_dir, self.options = config, store_url, log_dir, options
        self.running: list[subprocess.Popen[bytes]] = []
        self.started = 0
        self.deaths: list[int] = []  # exit codes of the workers that died while the pool ran
        for _ in range(size):
            self._start()

    def _start(self) -> None:
        with (self.log_dir / f"worker-{self.started}.log").open("wb") as log:
            self.running.append(start_worker(self.config, self.store_url, *self.options, log=log))
        self.started += 1

    def keep(self) -> None:
        """Replace the workers that died."""
        for process in [p for p in self.running if p.poll() is not None]:
            self.running.remove(process)
            self.deaths.append(process.returncode)
            self._start()

    def settle(self, store: Store, now: datetime, timeout: float = 600.0) -> None:
        """Wait until the workers have nothing left to do at `now`, replacing any that die meanwhile."""
        deadline = time.monotonic() + timeout
        while busy(store, now):
            self.keep()
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers still busy after {timeout}s (logs in {self.log_dir})")
            time.sleep(0.02)
        self.keep()

    def stop(self) -> list[int]:
        """SIGTERM to every worker; their exit codes (0: a graceful stop)."""
        for process in self.running:
            process.send_signal(signal.SIGTERM)
        codes = []
        for process in self.running:
            try:
                codes.append(process.wait(timeout=60))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait())
        return codes
