"""Batch enrichment: every row answers exactly as a single lookup does; bad rows get an error, the rest resolve."""

from __future__ import annotations

from pathlib import Path

import msgspec
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardbin import InvalidInput, Resolver
from cardbin.errors import CardbinError
from cardbin.pan import luhn_valid, mask
from cardbin.resolve import enrich
from cardbin.resolve.enrich import RESULT_COLUMNS, Enricher, enrich_batches, enrich_file
from tests.cardbin.builders import BAD, card, cocolian_release, cocolian_resolver, sample_cards


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.from_release(cocolian_release(segments=(("6222020200", "1000"),)))


def expected(resolver: Resolver, number: str) -> dict[str, object]:
    info = msgspec.structs.asdict(resolver.lookup(number))
    info["alternatives"] = msgspec.json.encode(info["alternatives"]).decode() if info["alternatives"] else None
    return {**info, "error": None}


def test_every_row_equals_the_single_lookup(resolver: Resolver) -> None:
    cards = sample_cards(resolver, 600)
    out = Enricher(resolver.index).frame(pl.DataFrame({"card_number": cards}))
    assert out.columns == ["card_number", *RESULT_COLUMNS]
    for number, row in zip(cards, out.iter_rows(named=True), strict=True):
        assert row == {"card_number": number, **expected(resolver, number)}


def test_bad_rows_get_an_error_and_the_rest_are_enriched(resolver: Resolver) -> None:
    good = sample_cards(resolver, 20)
    frame = pl.DataFrame({"id": range(len(good) + len(BAD)), "card_number": [*good[:10], *BAD, *good[10:]]})
    out = Enricher(resolver.index).frame(frame)
    assert out.height == frame.height and out["id"].to_list() == frame["id"].to_list()
    for row in out.iter_rows(named=True):
        number = row["card_number"]
        if number in BAD:
            try:
                resolver.lookup(number or "")  # an empty cell reads as null
            except CardbinError as exc:
                assert row["error"] == str(exc)
            assert row["bin"] is None and row["luhn_valid"] is None and row["cnaps_match"] is None
            assert row["card_number_masked"] == mask(number or "")
        else:
            assert row["error"] is None and row["bin"] is not None
    errors = out.filter(pl.col("error").is_not_null())["error"].to_list()
    assert len(errors) == len(BAD)
    assert any("has 11 digits" in e for e in errors) and any("'O'" in e for e in errors)
    assert any("no BIN" in e for e in errors) and any("is empty" in e for e in errors)


def test_no_full_card_number_outside_the_input_column(resolver: Resolver) -> None:
    cards = [*sample_cards(resolver, 200), *[b for b in BAD if b]]
    out = Enricher(resolver.index).frame(pl.DataFrame({"card_number": cards}))
    text = out.drop("card_number").write_csv()
    assert not [number for number in cards if len(number) > 10 and number in text]


@pytest.mark.parametrize(("source_name", "target_name"), [("in.csv", "out.parquet"), ("in.parquet", "out.csv")])
def test_enrich_file_round_trip(resolver: Resolver, tmp_path: Path, source_name: str, target_name: str) -> None:
    cards = [card("018572", 18), "6222 0212 3456 7890 128", "bad"]
    source, target = tmp_path / source_name, tmp_path / target_name
    frame = pl.DataFrame({"name": ["a", "b", "c"], "pan": cards})
    if source.suffix == ".csv":
        frame.write_csv(source)
    else:
        frame.write_parquet(source)
    summary = enrich_file(source, target, resolver.index, column="pan", chunk_rows=2, progress=False)
    assert (summary.rows, summary.resolved, summary.errors) == (3, 2, 1)
    out = pl.read_parquet(target) if target.suffix == ".parquet" else pl.read_csv(target, infer_schema=False)
    assert out["pan"].to_list() == cards and out["name"].to_list() == ["a", "b", "c"]
    assert out["bin"].to_list() == ["018572", "622202", None]  # the leading zero survives
    assert out["bank_code"].to_list()[1] == "ICBC"


def test_input_errors(resolver: Resolver) -> None:
    enricher = Enricher(resolver.index, column="pan")
    with pytest.raises(InvalidInput, match="column"):
        enricher.frame(pl.DataFrame({"card_number": ["6222021234567890128"]}))
    with pytest.raises(InvalidInput, match="bin"):
        enricher.frame(pl.DataFrame({"pan": ["6222021234567890128"], "bin": ["x"]}))


_PROPERTY_ENRICHER = Enricher(cocolian_resolver().index)
_BINS = sorted(cocolian_resolver().index.rows_by_bin)


@st.composite
def real_bin_cards(draw: st.DrawFn) -> str:
    bin_ = draw(st.sampled_from(_BINS))
    length = draw(st.integers(min_value=max(12, len(bin_)), max_value=19))
    return bin_ + draw(st.text(alphabet="0123456789", min_size=length - len(bin_), max_size=length - len(bin_)))


@settings(max_examples=100, deadline=None)
@given(st.lists(real_bin_cards(), min_size=1, max_size=30))
def test_batch_luhn_and_mask_equal_cardbin_pan(numbers: list[str]) -> None:
    out = _PROPERTY_ENRICHER.frame(pl.DataFrame({"card_number": numbers}))
    assert out["card_number_masked"].to_list() == [mask(n) for n in numbers]
    assert out["luhn_valid"].to_list() == [luhn_valid(n) for n in numbers]


def _edges(resolver: Resolver) -> list[str]:
    """Cards at both ends of every BIN's and segment's range, and just outside, for every card length."""
    index = resolver.index
    prefixes = [*index.rows_by_bin, *(p for _, table in index.segments for p in table)]
    cards = set()
    for prefix in prefixes:
        for n in range(12, 20):
            span = 10 ** (n - len(prefix))
            low, high = int(prefix) * span, (int(prefix) + 1) * span
            cards.update(str(v).zfill(n) for v in (low - 1, low, high - 1, high) if 0 <= v < 10**n)
    return sorted(cards)


def test_cards_at_every_prefix_boundary_answer_as_single_lookups(resolver: Resolver) -> None:
    """The interval table (cardbin.resolve.prefixes) against `ReleaseIndex.find`, where an off-by-one would show."""
    cards = _edges(resolver)
    out = Enricher(resolver.index).frame(pl.DataFrame({"card_number": cards}))
    for number, row in zip(cards, out.iter_rows(named=True), strict=True):
        try:
            assert row == {"card_number": number, **expected(resolver, number)}
        except CardbinError as exc:
            assert row["error"] == str(exc) and row["bin"] is None


def test_every_python_whitespace_is_dropped_as_fold_drops_it(resolver: Resolver) -> None:
    number = card("436742", 19)
    spaces = [c for c in map(chr, range(0x110000)) if c.isspace()]
    assert max(map(ord, spaces)) <= 0x3000  # the batch's whitespace class stops there
    typed = [number[:6] + space + number[6:] for space in spaces] + ["６２２２ 0212-3456\u30007890128"]
    out = Enricher(resolver.index).frame(pl.DataFrame({"card_number": typed}))
    assert out["error"].null_count() == len(typed)
    assert out["bin"].cast(pl.String).to_list() == [resolver.lookup(t).bin for t in typed]


def test_odd_characters_are_worded_as_single_lookups_word_them(resolver: Resolver) -> None:
    odd = ["6222'021234567890128", "6222\\021234567890128", "6222银021234567890128", "6222\x00021234567890", "ab", "x"]
    out = Enricher(resolver.index).frame(pl.DataFrame({"card_number": odd}))
    for text, row in zip(odd, out.iter_rows(named=True), strict=True):
        with pytest.raises(CardbinError) as raised:
            resolver.lookup(text)
        assert row["error"] == str(raised.value) and row["card_number_masked"] == mask(text)


def test_the_arrow_batch_function_keeps_the_batch_and_encodes_answers_as_dictionaries(resolver: Resolver) -> None:
    cards = sample_cards(resolver, 50)
    batch = pa.RecordBatch.from_pydict({"id": list(range(len(cards))), "pan": cards})
    (out,) = enrich_batches([batch], resolver.index, column="pan", prefix="cb_")
    assert out.schema.names[:2] == ["id", "pan"] and out.column(0).equals(batch.column(0))
    assert out.schema.names[2:] == [f"cb_{c}" for c in RESULT_COLUMNS]
    assert pa.types.is_dictionary(out.schema.field("cb_bank_code").type)
    assert out.column(out.schema.get_field_index("cb_bank_code")).to_pylist() == [
        resolver.lookup(c).bank_code for c in cards
    ]


_ANY_CELL = (
    real_bin_cards()
    | st.sampled_from([c for c in BAD if c is not None])
    | st.text(alphabet="0123456789 -６x", max_size=24)
    | st.none()
)


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(_ANY_CELL, max_size=40), prefix=st.sampled_from(["", "cb_"]))
def test_frames_and_arrow_batches_get_the_same_answers(cells: list[str | None], prefix: str) -> None:
    """`frame` (polars Categoricals) and `batch` (Arrow dictionaries) share every step but the answers' gather."""
    frame = pl.DataFrame(
        {"id": range(len(cells)), "card_number": cells}, schema={"id": pl.Int64, "card_number": pl.String}
    )
    enricher = Enricher(_PROPERTY_ENRICHER.index, prefix=prefix)
    by_frame = enricher.frame(frame)
    batches = frame.to_arrow().to_batches()
    if not batches:  # an empty frame has no batch to compare with
        assert by_frame.height == 0 and by_frame.columns == ["id", "card_number", *(prefix + c for c in RESULT_COLUMNS)]
        return
    by_batch = pl.from_arrow(pa.Table.from_batches([enricher.batch(b) for b in batches]))
    assert isinstance(by_batch, pl.DataFrame)
    assert by_frame.schema == by_batch.schema
    assert by_frame.equals(by_batch)


def test_the_masking_gather_of_card_numbers_is_the_padding_mask() -> None:
    numbers = pl.DataFrame({"s": [("1234567890" * 2)[:n] for n in range(12, 20)]})
    numbers = numbers.with_columns(n=pl.col("s").str.len_bytes().cast(pl.Int64))
    by_gather = numbers.select(enrich._mask_card(pl.col("s"), pl.col("n"))).to_series().to_list()
    assert by_gather == numbers.select(enrich._mask(pl.col("s"), pl.col("n"))).to_series().to_list()
    assert by_gather == [mask(s) for s in numbers["s"]]


def test_a_file_in_chunks_on_threads_is_the_frame_enriched_whole(tmp_path: Path) -> None:
    """Chunks are enriched on several threads, each computing answers the others may not have yet."""
    cards = [*sample_cards(cocolian_resolver(), 300), *BAD[:3]]
    source, target = tmp_path / "cards.parquet", tmp_path / "out.parquet"
    pl.DataFrame({"card_number": cards}).write_parquet(source)
    fresh = Resolver.from_release(cocolian_release()).index  # no answer known yet: the threads compute them
    enrich_file(source, target, fresh, chunk_rows=7, progress=False)
    whole = Enricher(Resolver.from_release(cocolian_release()).index).frame(pl.read_parquet(source))
    out = pl.read_parquet(target)
    assert out.select(pl.all().cast(pl.String)).equals(whole.select(pl.all().cast(pl.String)))
