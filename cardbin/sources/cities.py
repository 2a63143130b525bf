"""CNAPS 4-digit city codes → city and province: gweesin's cities.json, or the 城市编码 TSV layout."""

from __future__ import annotations

from pathlib import Path

import msgspec
import polars as pl

from cardbin.errors import UnreadableSource
from cardbin.sources.tables import Layout, Staged, decode, read_bytes, read_with_layouts, staged

TSV = Layout(
    name="city_codes",
    columns={
        "city_code": ("城市编号", "城市代码", "城市编码"),
        "city": ("城市名称", "城市"),
        "province": ("省名称", "省份", "省份名称"),
        "province_code": ("省编码", "省代码", "省份代码"),
    },
    required=("city_code", "city", "province"),
)


class _JsonCity(msgspec.Struct):
    CityCode: str | int
    CityName: str
    ProvinceName: str
    ProvinceCode: str | int | None = None


def _read_json(path: Path) -> pl.DataFrame:
    try:
        cities = msgspec.json.decode(decode(read_bytes(path), str(path)), type=list[_JsonCity])
    except msgspec.DecodeError as exc:  # malformed JSON, or JSON that is not a list of cities
        raise UnreadableSource(str(path), f"not a cities.json list: {exc}") from exc
    return pl.DataFrame(
        {
            "city_code": [str(c.CityCode).strip() for c in cities],
            "city": [c.CityName.strip() or None for c in cities],
            "province": [c.ProvinceName.strip() or None for c in cities],
            "province_code": [None if c.ProvinceCode is None else str(c.ProvinceCode).strip() for c in cities],
            # JSON has no lines per record: the row is the record's position in the list.
            "row": list(range(1, len(cities) + 1)),
        },
        schema={
            "city_code": pl.String,
            "city": pl.String,
            "province": pl.String,
            "province_code": pl.String,
            "row": pl.Int64,
        },
    )


def read_cities(path: Path) -> Staged:
    if not path.is_file():
        raise UnreadableSource(str(path), "no such file")
    if path.suffix.lower() == ".json":
        return staged("cities", "cities_json", path, _read_json(path))
    layout, frame = read_with_layouts(path, "city code table", [TSV])
    return staged("cities", layout.name, path, frame)
