"""Keys for tests, benches and simulations: made fresh for each run, never stored in the repository."""

from __future__ import annotations

import os

from payout_core.keys import CARD_SECRET, DATA_KEYS, Keyring


def ensure_keys() -> None:
    """Fresh keys in this process's environment (which its children inherit), unless keys are configured there."""
    if not any(v in os.environ for v in (DATA_KEYS, f"{DATA_KEYS}_FILE")):
        os.environ[DATA_KEYS] = Keyring.new_data_key("run")
    if not any(v in os.environ for v in (CARD_SECRET, f"{CARD_SECRET}_FILE")):
        os.environ[CARD_SECRET] = Keyring.new_card_secret()
