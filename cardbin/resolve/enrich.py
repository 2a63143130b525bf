"""Batch resolution of a file of card numbers, vectorised with polars.

Per row, only column arithmetic runs: the card number is normalised with the same character table as
`cardbin.pan`, read as an unsigned 64-bit integer (19 digits fit) and left-aligned to 19 digits, so its prefix of
length L is one division by a constant; membership of (prefix, n) in the index's BIN sets gives the longest BIN of
the card's length, else the longest of any length. The answers themselves (bank, region, 联行号, best row and
alternatives) come from the same `ReleaseIndex` as single lookups, computed once per distinct (BIN, card length,
segment city) and joined back, so batch and single answers cannot drift apart. Luhn and masking are the batch
forms of `cardbin.pan.luhn_valid` / `mask` (the tests hold them equal).

The answer columns are Categorical (dictionary-encoded in Parquet): a million rows share a few thousand answers.
Bad rows keep their input, get ``error`` (the message a single lookup raises) and no other result. Result columns
may carry a prefix (`cb_bin` …) so they never collide with the input's own columns. Reading and writing the
files staff have is `cardbin.resolve.files`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import polars as pl
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cardbin import pan as pans
from cardbin.errors import InvalidCardNumber, InvalidInput
from cardbin.model import CardInfo
from cardbin.resolve.files import EXCEL_DIGITS, output_format, read_cards, write_table
from cardbin.resolve.index import Hit, ReleaseIndex, unknown_bin

RESULT_COLUMNS: dict[str, pl.DataType] = {
    "card_number_masked": pl.String(),
    "bin": pl.String(),
    "bank_code": pl.String(),
    "bank_name": pl.String(),
    "bank_group": pl.String(),
    "issuer_name": pl.String(),
    "issuer_code": pl.String(),
    "card_name": pl.String(),
    "card_type": pl.String(),
    "pan_length": pl.Int8(),
    "pan_length_valid": pl.Boolean(),
    "luhn_valid": pl.Boolean(),
    "region_level": pl.String(),
    "province": pl.String(),
    "city": pl.String(),
    "city_code": pl.String(),
    "country": pl.String(),
    "region_source": pl.String(),
    "region_reason": pl.String(),
    "branch_name": pl.String(),
    "cnaps_code": pl.String(),
    "cnaps_match": pl.String(),
    "alternatives": pl.String(),  # JSON list of Alternative, so CSV can hold it
    "release": pl.String(),
    "error": pl.String(),
}
# Columns taken from the per-(BIN, length, segment) answer rather than computed per row.
_ANSWER_COLUMNS = [c for c in RESULT_COLUMNS if c not in ("card_number_masked", "luhn_valid", "error")]
_SEPARATORS = [chr(k) for k in pans._TRANSLATE]  # the exact table single lookups normalise with
_REPLACEMENTS = ["" if v is None else chr(v) for v in pans._TRANSLATE.values()]
_STARS = "*" * (pans.PAN_MAX_LENGTH - 10)


def _luhn_table(first_doubled: bool) -> pl.Series:
    """Luhn contribution of every 3-digit group 000–999, for groups whose lowest digit is (not) doubled."""

    def weigh(digit: int, doubled: bool) -> int:
        return digit * 2 - 9 if doubled and digit > 4 else digit * 2 if doubled else digit

    return pl.Series(
        [sum(weigh(v // 10**i % 10, (i % 2 == 1) != first_doubled) for i in range(3)) for v in range(1000)],
        dtype=pl.UInt8,
    )


# Digit positions from the right: group j covers 3j..3j+2, so odd groups start on a doubled position.
_LUHN_TABLES = (_luhn_table(first_doubled=False), _luhn_table(first_doubled=True))


def _luhn(x: pl.Expr) -> pl.Expr:
    """Luhn over the decimal digits of an integer, three digits per table gather (leading zeros add nothing)."""
    total = pl.lit(0, dtype=pl.UInt32)
    for j in range(-(-pans.PAN_MAX_LENGTH // 3)):
        group = (x // 10 ** (3 * j)) % 1000
        total = total + pl.lit(_LUHN_TABLES[j % 2]).gather(group).cast(pl.UInt32)
    return (total % 10) == 0


def _prefix(x: pl.Expr, n: pl.Expr, length: int) -> pl.Expr:
    return x // pl.lit(10, dtype=pl.UInt64).pow((n - length).cast(pl.UInt32))


def _first_length(flags: list[tuple[int, pl.Expr]]) -> pl.Expr:
    """The first length whose flag is true (lengths come longest first), else null."""
    expr: pl.Expr = pl.lit(None, dtype=pl.Int8)
    for length, flag in reversed(flags):
        expr = pl.when(flag).then(pl.lit(length, dtype=pl.Int8)).otherwise(expr)
    return expr


class Enricher:
    """Adds the result columns (named `prefix` + name) to frames of card numbers, keeping earlier chunks' answers."""

    def __init__(self, index: ReleaseIndex, column: str = "card_number", prefix: str = "") -> None:
        self.index = index
        self.column = column
        self.prefix = prefix
        # BIN length → {BIN * 32 + card length} present in the exact tables, and {BIN} for the fallback.
        self._exact_keys: dict[int, list[int]] = {}
        for n, tables in index.exact_tables.items():
            for length, table in tables.items():
                self._exact_keys.setdefault(length, []).extend(int(b) * 32 + n for b in table)
        self._any_keys = {
            length: [int(b) for b in index.rows_by_bin if len(b) == length] for length in index.bin_lengths
        }
        self._segments = [(length, {int(p): int(c) for p, c in table.items()}) for length, table in index.segments]
        self._answers: dict[int, dict[str, object]] = {}

    def _answer(self, key: int, exact: bool) -> dict[str, object]:
        """Result columns of one distinct answer key (see `frame`), computed by the index as a lookup is."""
        found = self._answers.get(key)
        if found is None:
            rest, seg = divmod(key, 10_000)
            prefix, lengths = divmod(rest, 1024)
            bin_len, pan_length = divmod(lengths, 32)
            hit: Hit = self.index.hit_for(str(prefix).zfill(bin_len), pan_length, exact=exact)
            info: CardInfo = self.index.with_segment(hit, f"{seg:04d}" if seg else None)
            found = {c: getattr(info, c) for c in _ANSWER_COLUMNS if c != "alternatives"}
            found["alternatives"] = msgspec.json.encode(info.alternatives).decode() if info.alternatives else None
            self._answers[key] = found
        return found

    def frame(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with the result columns appended (see module doc)."""
        if self.column not in frame.columns:
            raise InvalidInput("column", self.column, f"is not a column of the input (columns: {frame.columns})")
        clash = [self.prefix + c for c in RESULT_COLUMNS if self.prefix + c in frame.columns]
        if clash:
            raise InvalidInput(
                "columns", ", ".join(clash), "are also result columns: give the results a prefix (--prefix cb_)"
            )
        matched = self._match(frame)
        combos = matched.filter(pl.col("_key").is_not_null()).unique("_key").select("_key", "_exact")
        rows = [{"_key": k, **self._answer(k, e)} for k, e in combos.iter_rows()]
        answers = pl.DataFrame(rows, schema={"_key": pl.UInt64(), **{c: RESULT_COLUMNS[c] for c in _ANSWER_COLUMNS}})
        # Answers repeat across millions of rows: categorical columns make the join gather integers, not strings.
        answers = answers.with_columns(pl.col(pl.String).cast(pl.Categorical))

        x, n = pl.col("_x"), pl.col("_n")
        masked = pl.concat_str(pl.col("_s").str.head(6), pl.lit(_STARS).str.head(n - 10), pl.col("_s").str.tail(4))
        result = (
            matched.lazy()
            .join(answers.lazy(), on="_key", how="left", maintain_order="left")
            .with_columns(
                card_number_masked=pl.when(x.is_not_null()).then(masked),
                luhn_valid=pl.when(pl.col("bin").is_not_null()).then(_luhn(x)),
                error=pl.lit(None, dtype=pl.String),
            )
            .select(*RESULT_COLUMNS)
            .collect()
        )
        result = self._explain_errors(result, frame.get_column(self.column))
        if self.prefix:
            result = result.rename({c: self.prefix + c for c in RESULT_COLUMNS})
        return pl.concat([frame, result], how="horizontal")

    def _match(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Per row: normalised text, integer value, length and the key of its answer (null: not a card / no BIN)."""
        lengths = self.index.bin_lengths
        valid = pl.col("_s").str.contains(r"^[0-9]{12,19}$")
        # The card left-aligned in 19 digits: the prefix of length L is then a division by a constant.
        padded = pl.col("_x") * pl.lit(10, dtype=pl.UInt64).pow((pans.PAN_MAX_LENGTH - pl.col("_n")).cast(pl.UInt32))
        work = (
            frame.lazy()
            .select(_s=pl.col(self.column).cast(pl.String).str.replace_many(_SEPARATORS, _REPLACEMENTS))
            .with_columns(
                _n=pl.when(valid).then(pl.col("_s").str.len_bytes().cast(pl.Int32)),
                _x=pl.when(valid).then(pl.col("_s").cast(pl.UInt64, strict=False)),
            )
            .with_columns(_padded=padded)
            .with_columns(
                **{f"_k{length}": pl.col("_padded") // 10 ** (pans.PAN_MAX_LENGTH - length) for length in lengths}
            )
        )
        n = pl.col("_n")
        exact = _first_length(
            [(length, (pl.col(f"_k{length}") * 32 + n).is_in(self._exact_keys.get(length, []))) for length in lengths]
        )
        fallback = _first_length([(length, pl.col(f"_k{length}").is_in(self._any_keys[length])) for length in lengths])
        seg: pl.Expr = pl.lit(0, dtype=pl.UInt64)
        for length, table in reversed(self._segments):
            found = (pl.col("_padded") // 10 ** (pans.PAN_MAX_LENGTH - length)).replace_strict(
                table, default=None, return_dtype=pl.UInt64
            )
            seg = pl.coalesce(found, seg)
        work = work.with_columns(_exact=exact.is_not_null(), _bin_len=pl.coalesce(exact, fallback), _seg=seg)
        prefix: pl.Expr = pl.lit(None, dtype=pl.UInt64)
        for length in lengths:
            prefix = pl.when(pl.col("_bin_len") == length).then(pl.col(f"_k{length}")).otherwise(prefix)
        # One integer key per distinct answer: BIN value, BIN length, card length, segment city.
        key = ((prefix * 1024 + pl.col("_bin_len").cast(pl.UInt64) * 32 + n.cast(pl.UInt64)) * 10_000) + pl.col("_seg")
        return work.select("_s", "_x", "_n", "_exact", _key=key).collect()

    def _explain_errors(self, result: pl.DataFrame, cards: pl.Series) -> pl.DataFrame:
        """Rows without an answer get the message a single lookup raises for them; they are few, so Python it is."""
        rows = result.get_column("bin").is_null().arg_true()
        if rows.is_empty():
            return result
        texts = cards.cast(pl.String).fill_null("").gather(rows)
        masks = result.get_column("card_number_masked").gather(rows)
        explained: dict[str, tuple[str, str]] = {}
        for text, shown in zip(texts, masks, strict=True):
            if text in explained:
                continue
            if shown is not None:  # a well-formed card number on no BIN
                explained[text] = (shown, str(unknown_bin(self.column, shown, self.index.release)))
                continue
            try:
                pans.normalize_pan(text, self.column)
            except InvalidCardNumber as exc:
                explained[text] = (pans.mask(text), str(exc))
        found = [explained[text] for text in texts]
        return result.with_columns(
            result.get_column("card_number_masked").scatter(rows, [m for m, _ in found]),
            result.get_column("error").scatter(rows, [e for _, e in found]),
        )


def _chunks(frame: pl.DataFrame, rows: int) -> Iterator[pl.DataFrame]:
    for start in range(0, frame.height, rows):
        yield frame.slice(start, rows)


class EnrichSummary(msgspec.Struct, frozen=True, kw_only=True):
    rows: int
    resolved: int
    errors: int


def enrich_file(
    source: Path,
    target: Path,
    index: ReleaseIndex,
    *,
    column: str = "card_number",
    prefix: str = "",
    excel: bool = False,
    chunk_rows: int = 1_000_000,
    progress: bool = True,
) -> EnrichSummary:
    """`source` (CSV, xlsx/xls or Parquet) with the result columns added, written to `target` (format by extension).

    `excel` starts a CSV with a BOM so Excel reads it as UTF-8. Cards typed into a workbook as numbers get an error.
    """
    output_format(target)  # an unknown extension is refused before any work
    table = read_cards(source, column)
    frame = table.frame
    enricher = Enricher(index, column, prefix)
    parts: list[pl.DataFrame] = []
    with Progress(
        TextColumn("enrich"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), disable=not progress
    ) as bar:
        task = bar.add_task("rows", total=frame.height)
        for chunk in _chunks(frame, chunk_rows):
            parts.append(enricher.frame(chunk))
            bar.advance(task, chunk.height)
    result = pl.concat(parts) if parts else enricher.frame(frame)
    if table.distrusted is not None:
        result = _distrust(result, table.distrusted, column, prefix)
    write_table(result, target, excel=excel)
    errors = int(result.get_column(prefix + "error").is_not_null().sum())
    return EnrichSummary(rows=result.height, resolved=result.height - errors, errors=errors)


def _distrust(result: pl.DataFrame, rows: pl.Series, column: str, prefix: str) -> pl.DataFrame:
    """Rows whose card cell was an Excel number: no answer, an error saying why."""
    message = pl.format(
        "{}={}: typed into the workbook as a number, which Excel keeps to {} significant digits, so it may be another "
        "card; format the column as text and enter the numbers again",
        pl.lit(column),
        pl.col(prefix + "card_number_masked"),
        pl.lit(EXCEL_DIGITS),
    )
    answers = [prefix + c for c in RESULT_COLUMNS if c not in ("card_number_masked", "error")]
    return result.with_columns(
        *(pl.when(rows).then(None).otherwise(pl.col(c)).alias(c) for c in answers),
        pl.when(rows).then(message).otherwise(pl.col(prefix + "error")).alias(prefix + "error"),
    )
