"""The fault simulation script, run for real with a few seeds: every safety check passes; same seed, same run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from tests.payout_core.builders import pg_dsn

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "simulate_payouts.py"


def simulate(seed: int, orders: int, *extra: str) -> dict[str, object]:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--seed",
            str(seed),
            "--orders",
            str(orders),
            "--crash-rate",
            "0.15",
            "--json",
            *extra,
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, object] = msgspec.json.decode(done.stdout)
    return result


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_every_safety_check_passes(seed: int) -> None:
    result = simulate(seed, 60)
    assert result["checks"] and all(result["checks"].values()), result["checks"]  # type: ignore[union-attr]
    assert result["orders"] == 60
    assert sum(result["crashes"].values()) > 0  # type: ignore[union-attr]  # crashes were really injected


def test_same_seed_same_run() -> None:
    first, second = simulate(21, 40), simulate(21, 40)
    assert first["digest"] == second["digest"] and first["states"] == second["states"]
    assert simulate(22, 40)["digest"] != first["digest"]


@pytest.mark.postgres
def test_on_postgresql() -> None:
    result = simulate(31, 60, "--store", pg_dsn())
    assert result["backend"] == "postgresql" and all(result["checks"].values()), result  # type: ignore[union-attr]


def test_the_checks_catch_a_broken_outcome(tmp_path: Path) -> None:
    """The checker is not vacuous: an order failed without a failure answer and moved money are both reported."""
    sys.path.insert(0, str(SCRIPT.parent))
    from simulate_payouts import Simulation

    from payout_core.store import open_store
    from tests.fakechannel import running_fake_channel

    store = open_store(tmp_path / "sim.db")
    store.migrate()
    with running_fake_channel(timeout_delay=0.6) as fake:
        sim = Simulation(
            5, 30, 0.1, store, fake, store_url=str(tmp_path / "sim.db"), workdir=tmp_path, orders_per_day=15
        )
        sim.run()
        assert all(passed for _, passed, _ in sim.checks())
        with store.transaction() as tx:
            tx.send(
                "UPDATE orders SET state = 'failed' WHERE id = (SELECT MIN(id) FROM orders WHERE state = 'succeeded')",
                rows=1,
                link="tamper with an order",
            )
            tx.send(
                "UPDATE accounts SET balance = balance + 1 WHERE id = 'merchant:m1:available'", rows=1, link="tamper"
            )
        failing = {name for name, passed, _ in sim.checks() if not passed}
        sim.bench.close()
    store.close()
    assert failing == {
        "no order failed without an explicit failure or an operator",
        "ledger sums conserved",
        "every payout the channel made is succeeded on our books or has an item",
    }
