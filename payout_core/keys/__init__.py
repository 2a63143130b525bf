"""The keys that protect personal data at rest: AES-GCM data keys with ids (rotation) and the card-key secret."""

from payout_core.keys.errors import KeysError, MissingKeys, UnreadableData
from payout_core.keys.keyring import CARD_SECRET, DATA_KEYS, Keyring

__all__ = ["CARD_SECRET", "DATA_KEYS", "Keyring", "KeysError", "MissingKeys", "UnreadableData"]
