"""Batch resolution of card numbers, vectorised: a function over Arrow record batches that any engine can run.

`Enricher.batch` takes a `pyarrow.RecordBatch` with a card-number column and returns it with the result columns
appended; `enrich_batches` maps an iterator of batches (the shape Spark's ``mapInArrow`` and Ray's ``map_batches``
take), and `cardbin.distributed.dask` runs it on Dask. `Enricher.frame` does the same to a polars DataFrame without
the round trip through Arrow, and `cardbin enrich` (`enrich_file`) runs it over chunks of a file on the threads of
polars' pool (polars computes without the GIL).

Per row only column arithmetic runs (polars): the card number is normalised with the same character table and
whitespace as `cardbin.pan.fold` (only on rows that are not already 12–19 ASCII digits), read as an unsigned 64-bit
integer, and its answer number found by table gathers (`cardbin.resolve.prefixes`). The answers themselves (bank,
region, 联行号, best row and alternatives) come from the same `ReleaseIndex` as single lookups, computed once per
answer number the first time a batch needs it, so batch and single answers cannot drift apart. Luhn and masking are
the batch forms of `cardbin.pan.luhn_valid` / `mask` (the tests hold them equal).

Answer columns are dictionary-encoded (Categorical in polars, categories in pandas): a million rows share a few
thousand answers, so a batch's answer columns are integer gathers, not strings. Bad rows keep their input, get
``error`` (the message a single lookup raises) and no other result; only rows whose text holds characters other
than digits and separators take Python, once per distinct text. Result columns may carry a prefix (`cb_bin` …) so
they never collide with the input's own columns. Reading and writing the files staff have is
`cardbin.resolve.files`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import msgspec
import polars as pl
import pyarrow as pa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cardbin import pan as pans
from cardbin.errors import InvalidCardNumber, InvalidInput
from cardbin.resolve.files import EXCEL_DIGITS, output_format, read_cards, write_table
from cardbin.resolve.index import ReleaseIndex, unknown_bin
from cardbin.resolve.prefixes import PrefixTable

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
_PER_ROW = ("card_number_masked", "luhn_valid", "error")
# Columns taken from the card's answer: text ones dictionary-encoded, the others as values.
_ANSWER_TEXT = [c for c, t in RESULT_COLUMNS.items() if c not in _PER_ROW and t == pl.String()]
_ANSWER_VALUES = [c for c, t in RESULT_COLUMNS.items() if c not in _PER_ROW and t != pl.String()]
_SEPARATORS = [chr(k) for k in pans._TRANSLATE]  # the exact table single lookups normalise with
_REPLACEMENTS = ["" if v is None else chr(v) for v in pans._TRANSLATE.values()]
# What str.split() drops (`fold` joins its parts): every character Python calls whitespace (none lies past U+3000).
_SPACES = "[" + "".join(f"\\x{{{i:X}}}" for i in range(0x3001) if chr(i).isspace()) + "]"
_CARD = f"^[0-9]{{{pans.PAN_MIN_LENGTH},{pans.PAN_MAX_LENGTH}}}$"


def result_schema(prefix: str = "") -> pa.Schema:
    """The Arrow types of the result columns as `Enricher.batch` appends them (answer text dictionary-encoded)."""
    types = {pl.String(): pa.large_string(), pl.Int8(): pa.int8(), pl.Boolean(): pa.bool_()}
    return pa.schema(
        [
            pa.field(prefix + c, pa.dictionary(pa.int32(), pa.string()) if c in _ANSWER_TEXT else types[t])
            for c, t in RESULT_COLUMNS.items()
        ]
    )


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


def _mask(s: pl.Expr, n: pl.Expr) -> pl.Expr:
    """`cardbin.pan.mask` of normalised text of `n` characters."""
    return pl.when(n > 10).then(pl.concat_str(s.str.head(6).str.pad_end(n - 4, "*"), s.str.tail(4))).otherwise(s)


# The stars of a masked card number of each length 12–19 (`"*" * (n - 10)`), gathered rather than padded.
_STARS = pl.Series(
    [None] * (pans.PAN_MIN_LENGTH - 10) + ["*" * (k - 10) for k in range(pans.PAN_MIN_LENGTH, pans.PAN_MAX_LENGTH + 1)]
)


def _mask_card(s: pl.Expr, n: pl.Expr) -> pl.Expr:
    """`_mask` of normalised card numbers (12–19 digits): one gather per row instead of padding, which is the
    costliest step of a batch (the tests hold the two equal)."""
    return pl.concat_str(s.str.head(6), pl.lit(_STARS).gather(n - 10), s.str.tail(4))


def _problem(field: str, value: pl.Expr, rule: pl.Expr) -> pl.Expr:
    """The text of an `InvalidInput` / `NotFound` (``field='value': rule``) of a value that needs no escaping."""
    return pl.concat_str(pl.lit(f"{field}='"), value, pl.lit("': "), rule)


class _Answers:
    """Result columns per answer number, filled the first time a batch needs an answer (see module doc).

    One per release index and process, shared by its Enrichers and their threads (a Dask worker runs several
    tasks at once): one thread computes at a time, and readers never lock. Text columns hold codes into a
    dictionary per column that only grows, and a new dictionary is published before the codes that use it, so
    whatever a reader sees is consistent.
    """

    _lock = threading.Lock()

    def __init__(self, index: ReleaseIndex, table: PrefixTable) -> None:
        self.index = index
        self.table = table
        size = len(table.keys) + 1  # and a last row of nulls: the answer of rows without one
        self.known = pl.repeat(False, size, dtype=pl.Boolean, eager=True)
        self.columns = pl.DataFrame(
            {
                c: pl.repeat(None, size, dtype=pl.Int32 if c in _ANSWER_TEXT else RESULT_COLUMNS[c], eager=True)
                for c in (*_ANSWER_TEXT, *_ANSWER_VALUES)
            }
        )
        self.words: dict[str, dict[str, int]] = {c: {} for c in _ANSWER_TEXT}
        self.dictionaries: dict[str, pa.StringArray] = {c: pa.array([], type=pa.string()) for c in _ANSWER_TEXT}
        # The columns as polars Categoricals, and the `columns` they were built from (see frame()).
        self._categorical: tuple[pl.DataFrame, pl.DataFrame] | None = None

    def need(self, numbers: pl.Series) -> None:
        """Compute the answers among `numbers` not known yet."""
        missing = numbers.drop_nulls().unique()
        if not missing.is_empty() and not self.known.gather(missing).all():
            with self._lock:
                self._compute(missing.filter(~self.known.gather(missing)))

    def _compute(self, missing: pl.Series) -> None:
        found: dict[str, list[object]] = {c: [] for c in self.columns.columns}
        for number in missing:
            key = self.table.keys[number]
            info = self.index.with_segment(self.index.hit_for(key.bin, key.pan_length, exact=key.exact), key.segment)
            for c, column in found.items():
                column.append(getattr(info, c))
            found["alternatives"][-1] = msgspec.json.encode(info.alternatives).decode() if info.alternatives else None
        dictionaries = dict(self.dictionaries)
        updated = []
        for c, values in found.items():
            words = self.words.get(c)
            if words is not None:
                found[c] = [None if v is None else words.setdefault(str(v), len(words)) for v in values]
                dictionaries[c] = pa.array(list(words), type=pa.string())
            updated.append(self.columns[c].scatter(missing, pl.Series(found[c], dtype=self.columns[c].dtype)))
        self.dictionaries = dictionaries
        self.columns = pl.DataFrame(updated)
        self.known = self.known.scatter(missing, True)

    def frame(self, numbers: pl.Series) -> dict[str, pl.Series]:
        """`gather` as polars columns (text ones Categorical): one gather from the answers as a small frame, which
        is rebuilt only after answers were added, so a frame's rows never go through Arrow dictionaries."""
        columns = self.columns
        built = self._categorical
        if built is None or built[0] is not columns:
            dictionaries = self.dictionaries  # read after the columns: at least as new
            frame = pl.DataFrame(
                [
                    _categorical(columns[c], dictionaries[c]) if c in dictionaries else columns[c]
                    for c in columns.columns
                ]
            )
            built = self._categorical = (columns, frame)
        rows = built[1][numbers.fill_null(columns.height - 1)]
        return {c: rows[c] for c in rows.columns}

    def gather(self, numbers: pl.Series) -> dict[str, pa.Array[Any]]:
        """The answer columns of rows with these answer numbers (null: no answer), text ones dictionary-encoded."""
        columns = self.columns  # before the dictionaries: those are at least as new
        rows = columns[numbers.fill_null(columns.height - 1)]  # one gather, no validity to check
        return {
            c: pa.DictionaryArray.from_arrays(rows[c].to_arrow(), self.dictionaries[c], safe=False)
            if c in self.dictionaries
            else rows[c].to_arrow()
            for c in rows.columns
        }


def _categorical(codes: pl.Series, dictionary: pa.StringArray) -> pl.Series:
    out = pl.from_arrow(pa.DictionaryArray.from_arrays(codes.to_arrow(), dictionary, safe=False))
    assert isinstance(out, pl.Series)
    return out.alias(codes.name)


_BY_INDEX: WeakKeyDictionary[ReleaseIndex, _Answers] = WeakKeyDictionary()
_BY_INDEX_LOCK = threading.Lock()


def _answers(index: ReleaseIndex) -> _Answers:
    """The index's answer table, built on first use (~0.2 s for a full release) and kept while the index lives."""
    with _BY_INDEX_LOCK:
        found = _BY_INDEX.get(index)
        if found is None:
            found = _BY_INDEX[index] = _Answers(index, PrefixTable(index))
        return found


class Enricher:
    """Adds the result columns (named `prefix` + name) to batches of card numbers; one per release and process,
    reused across batches (answers computed for one batch serve the next)."""

    def __init__(self, index: ReleaseIndex, column: str = "card_number", prefix: str = "") -> None:
        self.index = index
        self.column = column
        self.prefix = prefix
        self._answers = _answers(index)

    def batch(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """`batch` with the result columns appended (see module doc)."""
        self._check_columns(batch.schema.names)
        numbers, per_row = self._per_row(pl.Series(batch.column(self.column)).cast(pl.String))
        oldest = pl.CompatLevel.oldest()
        columns = {**self._answers.gather(numbers), **{c: v.to_arrow(compat_level=oldest) for c, v in per_row.items()}}
        schema = pa.schema([*batch.schema, *result_schema(self.prefix)])
        return pa.RecordBatch.from_arrays([*batch.columns, *(columns[c] for c in RESULT_COLUMNS)], schema=schema)

    def frame(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with the result columns appended, answer columns Categorical: what `batch` appends, without
        the round trip through Arrow dictionaries (the tests hold the two equal)."""
        self._check_columns(frame.columns)
        numbers, per_row = self._per_row(frame.get_column(self.column).cast(pl.String))
        columns = {**self._answers.frame(numbers), **per_row}
        return frame.with_columns(columns[c].alias(self.prefix + c) for c in RESULT_COLUMNS)

    def _check_columns(self, names: list[str]) -> None:
        if self.column not in names:
            raise InvalidInput("column", self.column, f"is not a column of the input (columns: {names})")
        clash = [self.prefix + c for c in RESULT_COLUMNS if self.prefix + c in names]
        if clash:
            raise InvalidInput(
                "columns", ", ".join(clash), "are also result columns: give the results a prefix (--prefix cb_)"
            )

    def _per_row(self, cards: pl.Series) -> tuple[pl.Series, dict[str, pl.Series]]:
        """The cards' answer numbers (null: none), and the columns of their own (masked number, Luhn, error)."""
        text, x, n = self._normalise(cards)
        numbers = self._answers.table.answers(x, n)
        self._answers.need(numbers)
        found = numbers.is_not_null()
        per_row = pl.DataFrame({"s": text, "x": x, "n": n, "found": found}).select(
            card_number_masked=pl.when(pl.col("x").is_not_null()).then(_mask_card(pl.col("s"), pl.col("n"))),
            luhn_valid=pl.when(pl.col("found")).then(_luhn(pl.col("x"))),
        )
        masked, errors = self._explain(cards, text, per_row["card_number_masked"], found)
        return numbers, {"card_number_masked": masked, "luhn_valid": per_row["luhn_valid"], "error": errors}

    def _normalise(self, cards: pl.Series) -> tuple[pl.Series, pl.Series, pl.Series]:
        """(normalised text, integer value, length); value and length null where it is not 12–19 digits.

        Rows already 12–19 ASCII digits (nearly all) are taken as they are; the rest are folded as
        `cardbin.pan.fold` folds: its character table, then every Python whitespace character dropped.
        """
        plain = cards.str.contains(_CARD).fill_null(False)
        rest = (~plain).arg_true()
        text = cards
        if not rest.is_empty():
            folded = cards.gather(rest).str.replace_many(_SEPARATORS, _REPLACEMENTS).str.replace_all(_SPACES, "")
            text = cards.scatter(rest, folded)
            plain = plain.scatter(rest, folded.str.contains(_CARD).fill_null(False))
        values = pl.DataFrame({"s": text, "ok": plain}).select(
            x=pl.when(pl.col("ok")).then(pl.col("s").cast(pl.UInt64, strict=False)),
            n=pl.when(pl.col("ok")).then(pl.col("s").str.len_bytes().cast(pl.Int64)),
        )
        return text, values["x"], values["n"]

    def _explain(
        self, cards: pl.Series, text: pl.Series, masked: pl.Series, found: pl.Series
    ) -> tuple[pl.Series, pl.Series]:
        """(card_number_masked, error): rows without an answer get the message a single lookup raises for them.

        The rules are worded by `cardbin.pan` itself, once per distinct length or character; only a text whose
        masked form needs escaping in the message (quotes, backslashes, non-ASCII) takes Python, once per text.
        """
        errors = pl.repeat(None, len(cards), dtype=pl.String, eager=True)
        rows = (~found).arg_true()
        if rows.is_empty():
            return masked, errors
        bad = pl.DataFrame({"s": text.gather(rows).fill_null(""), "unknown": masked.gather(rows).is_not_null()})
        bad = bad.with_columns(
            length=pl.col("s").str.len_chars(),
            other=pl.col("s").str.extract("([^0-9])"),  # the first character that is not a digit
            plain=pl.col("s").str.contains(r"^[\x20-\x26\x28-\x5B\x5D-\x7E]*$"),  # repr: itself in quotes
        )
        digits = bad.filter(pl.col("other").is_null() & ~pl.col("unknown") & (pl.col("s") != ""))
        by_length = {int(k): _rule(self.column, "0" * k) for k in digits["length"].unique()}
        by_character = {c: _rule(self.column, c) for c in bad.filter("plain")["other"].drop_nulls().unique()}
        s, other = pl.col("s"), pl.col("other")
        rule = (
            pl.when(s == "")
            .then(pl.lit(_rule(self.column, "")))
            .when("unknown")
            .then(pl.lit(unknown_bin(self.column, "", self.index.release).what))
            .when(other.is_null())
            .then(pl.col("length").replace_strict(by_length, default=None, return_dtype=pl.String))
            .when("plain")
            .then(other.replace_strict(by_character, default=None, return_dtype=pl.String))
        )
        shown = pl.when(other.is_null() | pl.col("plain")).then(_mask(s, pl.col("length")))
        bad = bad.select(shown=shown, error=_problem(self.column, shown, rule))
        odd = bad["error"].is_null().arg_true()
        if not odd.is_empty():
            texts = cards.gather(rows).gather(odd)
            told = {t: self._python_problem(t) for t in texts.unique()}
            bad = bad.with_columns(
                bad["shown"].scatter(odd, [told[t][0] for t in texts]),
                bad["error"].scatter(odd, [told[t][1] for t in texts]),
            )
        return masked.scatter(rows, bad["shown"]), errors.scatter(rows, bad["error"])

    def _python_problem(self, text: str) -> tuple[str, str]:
        try:
            pans.normalize_pan(text, self.column)
        except InvalidCardNumber as exc:
            return pans.mask(text), str(exc)
        raise AssertionError(f"{pans.mask(text)!r} is a card number: the batch normalisation disagrees with fold")


def _rule(field: str, text: str) -> str:
    """The rule a single lookup states for a malformed `text` (its masked value needs no escaping)."""
    try:
        pans.normalize_pan(text, field)
    except InvalidCardNumber as exc:
        return exc.rule
    raise AssertionError("not malformed")


def enrich_batches(
    batches: Iterable[pa.RecordBatch], index: ReleaseIndex, column: str = "card_number", prefix: str = ""
) -> Iterator[pa.RecordBatch]:
    """Every batch with the result columns appended: Spark's ``df.mapInArrow(…)`` and Ray's ``map_batches`` shape."""
    enricher = Enricher(index, column, prefix)
    for batch in batches:
        yield enricher.batch(batch)


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
    # Chunks on threads: polars leaves the GIL while it computes, so each core enriches a chunk of its own; as
    # many chunks as threads, none over `chunk_rows` (the memory a chunk's intermediate columns take).
    threads = pl.thread_pool_size()
    chunks = list(frame.iter_slices(max(1, min(chunk_rows, -(-frame.height // threads))))) or [frame]
    with (
        Progress(
            TextColumn("enrich"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), disable=not progress
        ) as bar,
        ThreadPoolExecutor(max_workers=min(len(chunks), threads)) as pool,
    ):
        task = bar.add_task("rows", total=frame.height)
        done = []
        for chunk in pool.map(enricher.frame, chunks):
            done.append(chunk)
            bar.advance(task, chunk.height)
    result = pl.concat(done)
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
