"""Run the fake channel in a child process on a free loopback port, for tests and the simulation."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
import msgspec

from payout_core.store import to_micros
from tests.fakechannel.wire import OrderRecord, ScenarioSetting, StatementData
from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]  # where `python -m tests.fakechannel` finds the package


class FakeChannel:
    """A running fake channel: its base URL, and the control calls that drive it and read its truth."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._control = httpx.Client(base_url=base_url, timeout=30.0)

    def program(self, order_no: str, setting: ScenarioSetting) -> None:
        response = self._control.put(f"/control/scenarios/{order_no}", content=msgspec.json.encode(setting))
        response.raise_for_status()

    def open_account(self, account: str, opening_balance: int, key: str | None = None) -> None:
        """The account's balance before its first payout, and the HMAC key its answers are signed with (if any)."""
        body = {"opening_balance": opening_balance, "key": key}
        self._control.put(f"/control/accounts/{account}", content=msgspec.json.encode(body)).raise_for_status()

    def set_clock(self, instant: datetime) -> None:
        """The channel's clock: what its truth and statements are stamped with (a simulation's virtual time)."""
        self._control.put("/control/clock", content=msgspec.json.encode(to_micros(instant))).raise_for_status()

    def statement(self, account: str, start: datetime, end: datetime) -> StatementData:
        """The account's lines in [start, end) and its balance at `end`, from the channel's truth."""
        params = {"start": to_micros(start), "end": to_micros(end)}
        response = self._control.get(f"/control/statements/{account}", params=params)
        response.raise_for_status()
        return msgspec.json.decode(response.content, type=StatementData)

    def orders(self) -> dict[str, OrderRecord]:
        response = self._control.get("/control/orders")
        response.raise_for_status()
        return {r.order_no: r for r in msgspec.json.decode(response.content, type=list[OrderRecord])}

    def close(self) -> None:
        self._control.close()


@contextmanager
def running_fake_channel(timeout_delay: float = 1.25) -> Iterator[FakeChannel]:
    """Serve the fake on 127.0.0.1, port chosen by the OS (parallel runs never collide); stopped on exit.

    The socket is bound and listening before the child starts, so the first request simply waits in the backlog
    until the server accepts it: no readiness polling, no race.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        port = sock.getsockname()[1]
        fd = sock.fileno()
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.fakechannel", str(fd), str(timeout_delay)], pass_fds=[fd], cwd=ROOT
        )
        channel = FakeChannel(f"http://127.0.0.1:{port}")
        try:
            yield channel
        finally:
            channel.close()
            stop(child, timeout=10)
