"""Card number → the key of its answer for a whole column at once: table gathers instead of per-length probes.

Among cards of length n, a prefix p of length L covers the integers [p·10^(n−L), (p+1)·10^(n−L)). Prefixes nest
or are disjoint, so the boundaries of every BIN and card segment cut each card length's range into intervals on
which the answer cannot change: the longest BIN with a row of the card's length, else the longest BIN of any length
(as `ReleaseIndex.find`), and the longest card segment (as `ReleaseIndex.segment_city`). The ranges of the eight card
lengths are laid end to end (a card of length n at ``OFFSETS[n]`` + its value, below 2^64), so one sorted array of
interval starts covers the release.

A binary search per card costs ~180 ns on random cards (cache misses). Most cards are settled by one gather instead:
a table indexed by (card length, first 4 digits) holds the interval's answer where those digits settle it, else a
node of a 100-way trie over the next digits (two per level, to 12 digits: four gathers settle a 10-digit BIN); cards
under longer prefixes still (BINs past 12 digits, which the rules allow) are binary-searched.
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from cardbin.pan import PAN_MAX_LENGTH, PAN_MIN_LENGTH
from cardbin.resolve.index import ReleaseIndex

CARD_LENGTHS = range(PAN_MIN_LENGTH, PAN_MAX_LENGTH + 1)
OFFSETS = {n: sum(10**m for m in range(PAN_MIN_LENGTH, n)) for n in CARD_LENGTHS}
HEAD = 4  # digits settled by the first table (8 card lengths × 10^4 slots)
STRIDE = 2  # digits per trie level below it
DEEPEST = PAN_MIN_LENGTH  # a level's digits never run past the shortest card
END = OFFSETS[PAN_MAX_LENGTH] + 10**PAN_MAX_LENGTH  # < 2^64
NO_ANSWER, SEARCH = -1, -2  # table values: ≥ 0 an answer, these two, ≤ -3 the trie node -3 - value


class AnswerKey(NamedTuple):
    """What a card's answer depends on: the BIN chosen, the card's length, whether the BIN has a row of that
    length (else it is the fallback), and the card segment's city."""

    bin: str
    pan_length: int
    exact: bool
    segment: str | None


_POWERS = pl.Series([10**k for k in range(PAN_MAX_LENGTH + 1)], dtype=pl.UInt64)


def _pow10(exponent: pl.Expr) -> pl.Expr:
    """10 to a column of exponents (0–19), as UInt64."""
    return pl.lit(_POWERS).gather(exponent)


def _first_length(flags: list[tuple[int, pl.Expr]]) -> pl.Expr:
    """The first length whose flag is true (lengths come longest first), else null."""
    expr: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for length, flag in reversed(flags):
        expr = pl.when(flag).then(pl.lit(length, dtype=pl.Int64)).otherwise(expr)
    return expr


def _boundaries(index: ReleaseIndex) -> pl.Series:
    """Where a BIN's or a segment's range starts or ends, for every card length, with each length's first card."""
    prefixes = pl.Series([*index.rows_by_bin, *(p for _, table in index.segments for p in table)], dtype=pl.String)
    frame = pl.DataFrame({"value": prefixes.cast(pl.UInt64), "length": prefixes.str.len_bytes().cast(pl.Int64)})
    points = [pl.Series(list(OFFSETS.values()), dtype=pl.UInt64)]
    for n in CARD_LENGTHS:
        span = _pow10(n - pl.col("length"))
        ranges = frame.filter(pl.col("length") <= n).select(low=pl.col("value") * span + OFFSETS[n], span=span)
        points += [ranges["low"], ranges["low"] + ranges["span"]]
    starts = pl.concat(points).unique().sort()
    return starts.filter(starts < END)


def _intervals(index: ReleaseIndex) -> tuple[pl.Series, list[AnswerKey | None]]:
    """Interval starts (ascending, from 0) and each interval's answer, adjacent equal answers merged.

    The answer at each start is found as a card there would find it (longest BIN with a row of its length, else
    longest BIN; longest segment), for all ~10^5 starts at once.
    """
    starts = _boundaries(index)
    blocks = pl.Series(list(OFFSETS.values()), dtype=pl.UInt64)
    frame = pl.DataFrame({"start": starts, "n": blocks.search_sorted(starts, side="right").cast(pl.Int64) - 1})
    n = pl.col("n") + PAN_MIN_LENGTH
    frame = frame.select(
        "start", n=n, padded=(pl.col("start") - pl.lit(blocks).gather(pl.col("n"))) * _pow10(PAN_MAX_LENGTH - n)
    )
    n = pl.col("n")
    # BIN length → {BIN * 32 + card length} of the BINs with rows of that card length, and → {BIN} of all.
    exact_keys: dict[int, list[int]] = {}
    for card_length, tables in index.exact_tables.items():
        for length, table in tables.items():
            exact_keys.setdefault(length, []).extend(int(b) * 32 + card_length for b in table)
    any_keys: dict[int, list[int]] = {}
    for bin_ in index.rows_by_bin:
        any_keys.setdefault(len(bin_), []).append(int(bin_))
    lengths = sorted(any_keys, reverse=True)
    exact = _first_length([(k, (n >= k) & (_head(k) * 32 + n).is_in(exact_keys.get(k, []))) for k in lengths])
    fallback = _first_length([(k, (n >= k) & _head(k).is_in(any_keys[k])) for k in lengths])
    segment: pl.Expr = pl.lit(None, dtype=pl.String)
    for length, cities in reversed(index.segments):
        found = _head(length).replace_strict(
            {int(p): c for p, c in cities.items()}, default=None, return_dtype=pl.String
        )
        segment = pl.when(n >= length).then(pl.coalesce(found, segment)).otherwise(segment)
    bin_length = pl.coalesce(exact, fallback)
    frame = frame.select(
        "start",
        "n",
        bin=(pl.col("padded") // _pow10(PAN_MAX_LENGTH - bin_length)).cast(pl.String).str.zfill(bin_length),
        exact=exact.is_not_null(),
        segment=segment,
    )
    answer = ("bin", "n", "exact", "segment")
    changed = pl.any_horizontal(pl.col(c).ne_missing(pl.col(c).shift(1)) for c in answer)
    frame = frame.filter(changed | (pl.int_range(pl.len()) == 0))
    keys = [None if row[0] is None else AnswerKey(*row) for row in frame.select(answer).iter_rows()]
    return frame["start"], keys


def _head(length: int) -> pl.Expr:
    """The first `length` digits of the left-aligned card (only meaningful where the card has that many)."""
    return pl.col("padded").floordiv(10 ** (PAN_MAX_LENGTH - length))


class PrefixTable:
    """`answers(x, n)`: the answer number of every card (value x, length n), null where no BIN is a prefix.

    `keys[i]` is the AnswerKey of answer number i.
    """

    def __init__(self, index: ReleaseIndex) -> None:
        starts, interval_keys = _intervals(index)
        numbers: dict[AnswerKey, int] = {}
        values = [NO_ANSWER if k is None else numbers.setdefault(k, len(numbers)) for k in interval_keys]
        self.keys: list[AnswerKey] = list(numbers)
        self._starts = starts
        self._values = pl.Series(values, dtype=pl.Int32)
        # The end of the last interval, so "the next start" exists for every interval.
        self._next_starts = pl.concat([self._starts.slice(1), pl.Series([END], dtype=pl.UInt64)])
        self.levels: list[tuple[int, pl.Series]] = []  # (digits settled, table)
        lows = pl.concat(
            [
                pl.int_range(0, 10**HEAD, dtype=pl.UInt64, eager=True) * 10 ** (n - HEAD) + OFFSETS[n]
                for n in CARD_LENGTHS
            ]
        )
        spans = pl.concat([pl.repeat(10 ** (n - HEAD), 10**HEAD, dtype=pl.UInt64, eager=True) for n in CARD_LENGTHS])
        depth = HEAD
        while True:
            table, lows, spans = self._settle(lows, spans, last=depth + STRIDE > DEEPEST)
            self.levels.append((depth, table))
            if lows.is_empty():
                break
            depth += STRIDE

    def _settle(self, lows: pl.Series, spans: pl.Series, *, last: bool) -> tuple[pl.Series, pl.Series, pl.Series]:
        """Each slot [low, low + span): its answer if one interval holds it, else a node (or SEARCH when `last`);
        with the slots of the next level (100 per node, in order)."""
        first = self._starts.search_sorted(lows, side="right") - 1
        whole = self._next_starts.gather(first) >= lows + spans
        split = ~whole
        if last:
            table = pl.select(pl.when(whole).then(self._values.gather(first)).otherwise(SEARCH)).to_series()
            return table.cast(pl.Int32), pl.Series(dtype=pl.UInt64), pl.Series(dtype=pl.UInt64)
        nodes = split.cast(pl.Int32).cum_sum() - 1
        table = pl.select(pl.when(whole).then(self._values.gather(first)).otherwise(-3 - nodes)).to_series()
        child_span = spans.filter(split) // 10**STRIDE
        children = pl.DataFrame({"low": lows.filter(split), "span": child_span}).with_columns(
            digit=pl.lit(list(range(10**STRIDE)), dtype=pl.List(pl.UInt64))
        )
        children = children.explode("digit")
        return (
            table.cast(pl.Int32),
            children["low"] + children["digit"] * children["span"],
            children["span"],
        )

    def answers(self, x: pl.Series, n: pl.Series) -> pl.Series:
        """Answer numbers (UInt32, null: no BIN, or x/n null) of cards with values `x` (UInt64) and lengths `n`."""
        # Left-aligned in 19 digits, the first d digits of every card are one division by a constant.
        scale = pl.lit(pl.Series([10**k for k in range(PAN_MAX_LENGTH + 1)], dtype=pl.UInt64))
        frame = (
            pl.DataFrame({"x": x, "n": n.cast(pl.UInt64)})
            .lazy()
            .with_columns(padded=pl.col("x") * scale.gather(PAN_MAX_LENGTH - pl.col("n")))
        )
        padded, value = pl.col("padded"), pl.col("v")
        for depth, table in self.levels:
            digits = padded // 10 ** (PAN_MAX_LENGTH - depth)
            if depth == self.levels[0][0]:
                slot = (pl.col("n") - PAN_MIN_LENGTH) * 10**depth + digits
                frame = frame.with_columns(v=pl.lit(table).gather(slot))
            else:
                node = pl.when(value <= -3).then(-3 - value.cast(pl.Int64))
                slot = node * 10**STRIDE + (digits % 10**STRIDE).cast(pl.Int64)
                frame = frame.with_columns(v=pl.coalesce(pl.lit(table).gather(slot), value))
        values = frame.select("v").collect().to_series()
        searched = (values == SEARCH).fill_null(False)
        if searched.any():
            rows = searched.arg_true()
            keys = x.gather(rows) + n.gather(rows).replace_strict(OFFSETS, return_dtype=pl.UInt64)
            found = self._values.gather(self._starts.search_sorted(keys, side="right") - 1)
            values = values.scatter(rows, found)
        return pl.select(pl.when(values >= 0).then(values).cast(pl.UInt32)).to_series()
