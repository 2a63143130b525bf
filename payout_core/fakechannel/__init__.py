"""A fake payout channel on loopback, driven per order, and its adapter: the test bench for dispatch safety."""

from payout_core.fakechannel.adapter import FakeChannelAdapter
from payout_core.fakechannel.runner import FakeChannel, running_fake_channel
from payout_core.fakechannel.server import create_app
from payout_core.fakechannel.wire import FAKE_RULES, SCENARIOS, OrderRecord, Scenario, ScenarioSetting

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
