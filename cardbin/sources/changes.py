"""UnionPay's monthly change list (变更信息): 19 comma-separated fields, no header, last field A/U/D.

Field order (read from the 2018-07-10 files, see SOURCES.md §2): 1 发卡行名称, 2 机构代码, 3 卡名, 4 ATM/POS,
5–7 track 2, 8–10 track 3, 11 PAN track, 12 PAN length, 13 PAN start, 14 BIN track, 15 BIN length,
16 BIN value, 17 BIN start, 18 卡种, 19 change flag. There is no PAN pattern, so the BIN is field 16 and
is a prefix of the card number only when it starts where the PAN starts (validation checks it).
"""

from __future__ import annotations

from pathlib import Path

from cardbin.errors import UnreadableSource
from cardbin.sources.tables import Staged, frame_from_grid, read_grid, staged
from cardbin.sources.unionpay import stage_bins

CHANGE_FIELDS = (
    "issuer_name",
    "issuer_code",
    "card_name",
    "channels",
    "track2",
    "track2_start",
    "track2_length",
    "track3",
    "track3_start",
    "track3_length",
    "pan_track",
    "pan_length",
    "pan_offset",
    "bin_track",
    "declared_bin_length",
    "declared_bin",
    "bin_offset",
    "card_type",
    "change",
)
CHANGE_FLAGS = ("A", "U", "D")


def read_bin_changes(path: Path) -> Staged:
    if not path.is_file():
        raise UnreadableSource(str(path), "no such file")
    frame = frame_from_grid(read_grid(path), CHANGE_FIELDS)
    kept = ["issuer_name", "issuer_code", "card_name", "pan_length", "pan_offset"]
    kept += ["declared_bin_length", "declared_bin", "bin_offset", "card_type", "change", "row"]
    return staged("bin_changes", "unionpay_changes", path, stage_bins(frame.select(kept)))
