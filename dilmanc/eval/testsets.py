"""Registry of named test sets, where their files are found, and how they are fetched.

A file `<set>/<name>` is looked up in `--data-dir`, then `$DILMANC_DATA`, then the download
cache (`data/` in dilmanc's cache: `$DILMANC_HOME`, else `~/.cache/dilmanc`). Every file is
checked against its sha256. A missing file is downloaded from its public source (raw GitHub
at a fixed commit) into the cache, unless offline (`HF_HUB_OFFLINE=1`, as for models) or
the download fails: then ResourceUnavailable (exit 3).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from dilmanc.errors import InputError, ResourceUnavailable, UsageError
from dilmanc.eval.inputs import split_segments
from dilmanc.fileio import read_text, write_text_atomic
from dilmanc.models.hub import dilmanc_home, offline

NTREX_RAW = (
    "https://raw.githubusercontent.com/MicrosoftTranslator/NTREX/"
    "8561f6a622db9edad1217683e5c83daefd8bb2bf/NTREX-128/"
)
TATOEBA_RAW = "https://raw.githubusercontent.com/Helsinki-NLP/Tatoeba-Challenge/"


@dataclass(frozen=True)
class DataFile:
    name: str  # file name inside the set's folder
    sha256: str
    url: str


@dataclass(frozen=True)
class TestPair:
    pair: str  # "az-en"
    source: DataFile
    reference: DataFile  # the same file as `source` for TSV sets
    segments: int
    tsv_columns: tuple[int, int] | None = None  # (source, reference) columns of a TSV file
    translationese: bool = False  # source side translated from a third language

    @property
    def files(self) -> tuple[DataFile, ...]:
        return (self.source,) if self.source == self.reference else (self.source, self.reference)


@dataclass(frozen=True)
class TestSet:
    name: str
    description: str
    licence: str
    homepage: str
    pairs: dict[str, TestPair] = field(default_factory=dict)
    note: str = ""


_AZ = DataFile(
    "newstest2019-ref.aze-Latn.txt",
    "90edee8c16867fbbf777687c4c59a6008aea7af0945bd331843ee69073f749a5",
    NTREX_RAW + "newstest2019-ref.aze-Latn.txt",
)
_EN = DataFile(
    "newstest2019-src.eng.txt",
    "389e8f5796c66db4f646dfad33e1ec622d74767af5ef112b42a1f2cd814df3cc",
    NTREX_RAW + "newstest2019-src.eng.txt",
)
_RU = DataFile(
    "newstest2019-ref.rus.txt",
    "a7e3601298b0368659a5c006c52809cf6792e02eb94bde9b9693333278d85732",
    NTREX_RAW + "newstest2019-ref.rus.txt",
)
_TATOEBA_EN = DataFile(
    "aze-eng.test.tsv",
    "eb305169a701af6c904c233651d8343ebc420ef9ca62918b3a77a209537d54eb",
    TATOEBA_RAW + "4398862079c140af913549e2b789994e1d70cca3/data/test/aze-eng/test.txt",
)
_TATOEBA_RU = DataFile(
    "aze-rus.test.tsv",
    "a39b0e7fdb9e992caa9b4a235b0e6999a742d750935e38becc0f2b0f0e398b7b",
    TATOEBA_RAW + "a7d15df66562742e38a7b8b04a79650a6585cfd5/data/test/aze-rus/test.txt",
)

TRANSLATIONESE_NOTE = (
    "NTREX-128's Azerbaijani and Russian sides were translated from English: the az source "
    "is translationese and az→ru compares two translations, so scores read lower than on "
    "natively written test sets."
)

TESTSETS: dict[str, TestSet] = {
    "ntrex128": TestSet(
        name="ntrex128",
        description="NTREX-128 news test set (WMT19 news sentences, 128 languages)",
        licence="CC BY-SA 4.0",
        homepage="https://github.com/MicrosoftTranslator/NTREX",
        pairs={
            "az-en": TestPair("az-en", _AZ, _EN, 1997, translationese=True),
            "az-ru": TestPair("az-ru", _AZ, _RU, 1997, translationese=True),
        },
        note=TRANSLATIONESE_NOTE,
    ),
    "tatoeba": TestSet(
        name="tatoeba",
        description="Tatoeba Challenge test sets: short everyday sentences",
        licence="CC BY 2.0 FR",
        homepage="https://github.com/Helsinki-NLP/Tatoeba-Challenge",
        pairs={
            "az-en": TestPair("az-en", _TATOEBA_EN, _TATOEBA_EN, 2659, tsv_columns=(2, 3)),
            "az-ru": TestPair("az-ru", _TATOEBA_RU, _TATOEBA_RU, 10, tsv_columns=(2, 3)),
        },
    ),
}


def get_testset(name: str) -> TestSet:
    key = name.strip().lower().replace("-", "")
    if key not in TESTSETS:
        raise UsageError(f"unknown test set {name!r} (known: {', '.join(TESTSETS)})")
    return TESTSETS[key]


def get_pair(testset: TestSet, pair: str) -> TestPair:
    key = pair.strip().lower().replace("_", "-")
    if key not in testset.pairs:
        known = ", ".join(testset.pairs)
        raise UsageError(f"test set {testset.name} has no pair {pair!r} (known: {known})")
    return testset.pairs[key]


def cache_dir() -> Path:
    return dilmanc_home() / "data"


def search_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """Where test set folders are looked for, in order."""
    dirs = [Path(data_dir)] if data_dir else []
    if os.environ.get("DILMANC_DATA"):
        dirs.append(Path(os.environ["DILMANC_DATA"]))
    dirs.append(cache_dir())
    return dirs


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(path: Path, file: DataFile) -> None:
    """InputError when the file's sha256 is not the registered one."""
    actual = sha256_of(path)
    if actual != file.sha256:
        raise InputError(
            f"{path}: sha256 {actual[:12]}... does not match the expected {file.sha256[:12]}... "
            "(corrupt or a different version; delete it to fetch it again)"
        )


def find_file(testset: TestSet, file: DataFile, data_dir: str | Path | None = None) -> Path | None:
    """The first existing copy of `file` in the search dirs, unverified; None if absent."""
    for base in search_dirs(data_dir):
        candidate = base / testset.name / file.name
        if candidate.is_file():
            return candidate
    return None


def download(url: str, timeout: float = 60.0) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https only)
        return response.read()


def fetch(testset: TestSet, file: DataFile) -> Path:
    """Download `file` into the cache, verify it, and return its path."""
    target = cache_dir() / testset.name / file.name
    hint = f"put {file.name} in <data-dir>/{testset.name}/"
    where = {"setting": "data_dir", "template": "{problem} ({option} or $DILMANC_DATA)"}
    if offline():
        raise ResourceUnavailable(
            f"{testset.name}/{file.name} is missing and offline; {hint}", **where
        )
    try:
        data = download(file.url)
    except OSError as err:
        reason = getattr(err, "reason", None) or err
        raise ResourceUnavailable(
            f"{testset.name}/{file.name} is missing and could not be downloaded ({reason}); {hint}",
            **where,
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != file.sha256:
        raise ResourceUnavailable(
            f"downloaded {file.url} has sha256 {actual[:12]}..., expected {file.sha256[:12]}..."
        )
    write_text_atomic(target, data.decode("utf-8"))
    return target


def locate(testset: TestSet, file: DataFile, data_dir: str | Path | None = None) -> Path:
    """A verified local copy of `file`, downloading it when missing and online."""
    path = find_file(testset, file, data_dir)
    if path is None:
        return fetch(testset, file)
    verify(path, file)
    return path


@dataclass
class LoadedPair:
    testset: TestSet
    pair: TestPair
    sources: list[str]
    references: list[str]
    files: dict[str, str]  # path → sha256

    def record(self, limit: int | None) -> dict:
        """What a run record says about the test data."""
        return {
            "name": self.testset.name,
            "pair": self.pair.pair,
            "licence": self.testset.licence,
            "files": [{"path": path, "sha256": sha} for path, sha in self.files.items()],
            "segments": len(self.sources),
            "limit": limit,
            "translationese": self.pair.translationese,
            "note": self.testset.note if self.pair.translationese else "",
        }


def load_pair(
    name: str, pair: str, data_dir: str | Path | None = None, limit: int | None = None
) -> LoadedPair:
    """Source and reference segments of a registered pair (the first `limit` when given)."""
    testset = get_testset(name)
    test_pair = get_pair(testset, pair)
    paths = {f.name: locate(testset, f, data_dir) for f in test_pair.files}
    files = {str(paths[f.name]): f.sha256 for f in test_pair.files}
    if test_pair.tsv_columns is not None:
        src_col, ref_col = test_pair.tsv_columns
        sources, references = [], []
        for number, line in enumerate(split_segments(read_text(paths[test_pair.source.name])), 1):
            cells = line.split("\t")
            if len(cells) <= max(src_col, ref_col):
                raise InputError(f"{test_pair.source.name}: line {number} has too few columns")
            sources.append(cells[src_col].strip())
            references.append(cells[ref_col].strip())
    else:
        sources = split_segments(read_text(paths[test_pair.source.name]))
        references = split_segments(read_text(paths[test_pair.reference.name]))
    if limit is not None:
        sources, references = sources[:limit], references[:limit]
    return LoadedPair(testset, test_pair, sources, references, files)


def listing(data_dir: str | Path | None = None) -> list[dict]:
    """Every registered pair with its size, licence, and whether its files are present."""
    rows = []
    for testset in TESTSETS.values():
        for test_pair in testset.pairs.values():
            found = [find_file(testset, f, data_dir) for f in test_pair.files]
            present = all(p is not None for p in found)
            intact = present and all(
                sha256_of(p) == f.sha256 for p, f in zip(found, test_pair.files, strict=True)
            )
            rows.append(
                {
                    "testset": testset.name,
                    "pair": test_pair.pair,
                    "segments": test_pair.segments,
                    "licence": testset.licence,
                    "description": testset.description,
                    "translationese": test_pair.translationese,
                    "present": present,
                    "status": "ok" if intact else "checksum mismatch" if present else "missing",
                    "paths": [str(p) for p in found if p is not None],
                }
            )
    return rows
