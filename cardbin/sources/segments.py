"""Card-segment tables (卡号段归属地): a card-number prefix → the CNAPS city code of the card's region.

No public dataset exists; banks and data vendors supply them. Accepted as CSV/TSV/xlsx with Chinese or English
headers. A segment gives national issuers (机构代码 ending 0000) a region the 机构代码 cannot.
"""

from __future__ import annotations

from pathlib import Path

from cardbin.sources.tables import Layout, Staged, read_with_layouts, staged

LAYOUT = Layout(
    name="card_segments",
    columns={
        "prefix": ("卡号段", "号段", "卡号前缀", "prefix"),
        "city_code": ("城市代码", "城市编码", "城市编号", "city_code"),
    },
    required=("prefix", "city_code"),
)


def read_segments(path: Path) -> Staged:
    layout, frame = read_with_layouts(path, "card-segment table", [LAYOUT])
    return staged("segments", layout.name, path, frame)
