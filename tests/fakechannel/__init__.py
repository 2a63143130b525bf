"""A fake payout channel on loopback, driven per order, and its adapter: the test bench for dispatch safety.

Not part of the installed package: the tests and `scripts/simulate_payouts.py` (run from a checkout) use it.
"""

from tests.fakechannel.adapter import FakeChannelAdapter
from tests.fakechannel.runner import FakeChannel, running_fake_channel
from tests.fakechannel.server import create_app
from tests.fakechannel.wire import FAKE_RULES, SCENARIOS, OrderRecord, Scenario, ScenarioSetting

__all__ = [
    "FAKE_RULES",
    "SCENARIOS",
    "FakeChannel",
    "FakeChannelAdapter",
    "OrderRecord",
    "Scenario",
    "ScenarioSetting",
    "create_app",
    "running_fake_channel",
]
