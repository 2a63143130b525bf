"""The bundled release's index facts, answers included, shipped beside its tables (data/default/index.msgpack.zlib).

`Resolver.open()` without a store assembles its index from them in milliseconds and imports neither polars nor
DuckDB; scripts/build_default_data.py writes them (`--index-only` rewrites just this file).

The file is one line with the fingerprint it was computed for, then the facts as zlib-compressed MessagePack. The
fingerprint is a SHA-256 over every other file of the release directory and of the bank directory, the source of
the modules that compute facts and answers, and the fields of the Structs stored: a snapshot whose fingerprint
differs (the data or the rules changed since) or that cannot be read is ignored and the index is built from the
tables, as for any release; tests/cardbin/test_snapshot.py fails until the file is written again.
"""

from __future__ import annotations

import hashlib
import sys
import zlib
from pathlib import Path

import msgspec

from cardbin.banks.directory import default_directory
from cardbin.model import Alternative, Bank, BinRecord, Branch, CardInfo, City
from cardbin.paths import BANKS_DIR, DEFAULT_RELEASE_DIR
from cardbin.resolve.branches import BranchFacts
from cardbin.resolve.facts import IndexedRow, IndexFacts
from cardbin.resolve.index import ReleaseIndex
from cardbin.resolve.region import Region

SNAPSHOT = "index.msgpack.zlib"
# The modules whose rules the facts and answers follow, and the Structs the file holds.
_RULES = (
    "cardbin.banks.directory",
    "cardbin.banks.identity",
    "cardbin.banks.names",
    "cardbin.resolve.branches",
    "cardbin.resolve.facts",
    "cardbin.resolve.index",
    "cardbin.resolve.region",
)
_STRUCTS: tuple[type[msgspec.Struct], ...] = (
    IndexFacts,
    IndexedRow,
    BranchFacts,
    Region,
    Bank,
    BinRecord,
    Branch,
    City,
    CardInfo,
    Alternative,
)
_decoder = msgspec.msgpack.Decoder(IndexFacts)


def fingerprint(release_dir: Path, banks_dir: Path = BANKS_DIR) -> str:
    """What the facts of the release in `release_dir` depend on (see module doc)."""
    digest = hashlib.sha256()
    for directory in (release_dir, banks_dir):
        for path in sorted(p for p in directory.iterdir() if p.is_file() and p.name != SNAPSHOT):
            digest.update(f"{directory.name}/{path.name}\n".encode())
            digest.update(path.read_bytes())
    for module in _RULES:
        digest.update(Path(str(sys.modules[module].__file__)).read_bytes())
    for struct in _STRUCTS:
        digest.update(f"{struct.__name__}{struct.__struct_fields__}".encode())
    return digest.hexdigest()


def write_snapshot(index: ReleaseIndex, release_dir: Path, banks_dir: Path = BANKS_DIR) -> Path:
    """Store the facts of `index` (built from the release in `release_dir` against `banks_dir`'s directory)."""
    path = release_dir / SNAPSHOT
    body = zlib.compress(msgspec.msgpack.encode(index.snapshot()), 9)
    path.write_bytes(fingerprint(release_dir, banks_dir).encode("ascii") + b"\n" + body)
    return path


def read_snapshot(release_dir: Path, banks_dir: Path = BANKS_DIR) -> IndexFacts | None:
    """The facts stored with the release in `release_dir`; None when missing, stale or unreadable."""
    try:
        head, _, body = (release_dir / SNAPSHOT).read_bytes().partition(b"\n")
    except OSError:
        return None
    if head != fingerprint(release_dir, banks_dir).encode("ascii"):
        return None
    try:
        return _decoder.decode(zlib.decompress(body))
    except (zlib.error, msgspec.DecodeError):
        return None


def bundled_index() -> ReleaseIndex:
    """The index of the bundled release: from its snapshot, else built from its tables."""
    facts = read_snapshot(DEFAULT_RELEASE_DIR)
    if facts is not None:
        return ReleaseIndex(facts)
    from cardbin.release.bundled import default_release

    return ReleaseIndex.build(default_release().rows(), default_directory())
