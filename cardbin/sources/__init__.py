"""Readers: one per monthly file layout, each giving a frame of canonical (still textual) columns plus `row`."""

from cardbin.sources.alipay import read_alipay_codes
from cardbin.sources.changes import read_bin_changes
from cardbin.sources.cities import read_cities
from cardbin.sources.cnaps import read_cnaps_table
from cardbin.sources.segments import read_segments
from cardbin.sources.tables import ROW, Staged
from cardbin.sources.unionpay import read_bin_table

__all__ = [
    "ROW",
    "Staged",
    "read_alipay_codes",
    "read_bin_changes",
    "read_bin_table",
    "read_cities",
    "read_cnaps_table",
    "read_segments",
]
