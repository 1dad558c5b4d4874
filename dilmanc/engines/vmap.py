"""Vocabulary maps: a smaller output vocabulary for CTranslate2 models (NLLB's is 256k pieces).

CTranslate2 reads `vmap.txt` from a model directory when it loads; with `use_vmap=True` each
batch decodes over the target tokens its source tokens map to, plus the tokens of the line with
an empty key (always allowed), plus unk/bos/eos and the target prefix (NLLB's language token).
Lines are `source n-gram<TAB>target tokens ...`.

What dilmanc writes beside a converted model:

* `vmap.<iso>.tokens`: the target-side pieces of a corpus in that language, one per line
  (`build_language_tokens`, from `dilmanc models vmap --lang ru --corpus FILE`);
* `vmap.txt`: the empty key → the union of every `vmap.*.tokens` list, and each source token →
  the same token on the target side, so names, numbers, codes and tag placeholders written in
  the source can always be copied (`write_vmap`).

One `vmap.txt` serves every target language of the model (CTranslate2 reads one file per
directory). A vmap file kept elsewhere is used through a directory of links to the model's
files with that file as its `vmap.txt` (`model_directory_with`), made once under
$DILMANC_HOME/vmap.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from dilmanc.errors import ModelUnavailable, SettingError
from dilmanc.languages import Language

VMAP_FILE = "vmap.txt"
VMAP_MODES = ("auto", "off")  # or a file path


def tokens_file(directory: Path, language: Language) -> Path:
    return Path(directory) / f"vmap.{language.iso}.tokens"


def corpus_pieces(codec, lines: Iterable[str]) -> set[str]:
    """The target-side pieces (known to the model) of `lines` under `codec` (an SpmCodec)."""
    pieces: set[str] = set()
    for line in lines:
        if line.strip():
            pieces.update(codec.target_pieces(line))
    pieces.discard(codec.unk)
    return pieces


def build_language_tokens(directory: Path, language: Language, lines: Iterable[str]) -> Path:
    """Write `vmap.<iso>.tokens` beside the model from a corpus in `language`, then rebuild
    `vmap.txt`; returns the vmap path."""
    from dilmanc.engines.spm_codec import SpmCodec
    from dilmanc.fileio import write_text_atomic

    directory = Path(directory)
    codec = SpmCodec.load(directory)
    pieces = sorted(corpus_pieces(codec, lines))
    if not pieces:
        raise SettingError("vmap", "the corpus has no text")
    write_text_atomic(tokens_file(directory, language), "\n".join(pieces) + "\n")
    return write_vmap(directory)


def write_vmap(directory: Path) -> Path:
    """`vmap.txt` from the `vmap.*.tokens` lists beside the model and its source vocabulary
    (NLLB's language codes excepted: the target's comes from the target prefix)."""
    from dilmanc.engines.spm_codec import ct2_vocabulary, ct2_vocabulary_file, nllb_codes_in
    from dilmanc.fileio import write_text_atomic

    directory = Path(directory)
    source = ct2_vocabulary(directory, "source")
    target = ct2_vocabulary(directory, "target")
    if source is None or target is None:
        raise ModelUnavailable(f"{directory} is not a CTranslate2 model (no vocabulary file)")
    known = set(target)
    common: set[str] = set()
    for path in sorted(directory.glob("vmap.*.tokens")):
        common.update(tok for tok in path.read_text(encoding="utf-8").split("\n") if tok)
    language_codes = set(nllb_codes_in(ct2_vocabulary_file(directory, "target")))
    lines = ["\t" + " ".join(sorted(common & known))]
    lines += [
        f"{tok}\t{tok}"
        for tok in source
        if tok in known and tok not in language_codes and _plain(tok)
    ]
    path = directory / VMAP_FILE
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path


def _plain(token: str) -> bool:
    """Whether a token can stand in a vmap line (no separators of the format)."""
    return bool(token) and not any(c in token for c in " \t\n\r")


def resolve_vmap(directory: Path, setting: str | None) -> Path | None:
    """The vmap file a setting selects: None for "off" (or "auto" without `vmap.txt`
    beside the model), the model's own `vmap.txt` for "auto", else the file named."""
    if setting in (None, "", "off"):
        return None
    if setting == "auto":
        path = Path(directory) / VMAP_FILE
        return path if path.is_file() else None
    path = Path(setting).expanduser()
    if not path.is_file():
        raise SettingError("vmap", f"{setting} is not a file (use auto, off or a vmap file)")
    return path.resolve()


def fingerprint(path: Path) -> str:
    """A short content hash of a vmap file (it changes what the model writes)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def model_directory_with(directory: Path, vmap: Path) -> Path:
    """A directory CTranslate2 can load with `vmap` as its vocabulary map: the model's own
    when `vmap` is its `vmap.txt`, else links to the model's files beside a copy of `vmap`."""
    from dilmanc.models.hub import dilmanc_home

    directory = Path(directory).resolve()
    if vmap == directory / VMAP_FILE:
        return directory
    key = hashlib.sha256(f"{directory}\0{fingerprint(vmap)}".encode()).hexdigest()[:20]
    shadow = dilmanc_home() / "vmap" / key
    if (shadow / VMAP_FILE).is_file():
        return shadow
    try:
        work = shadow.with_name(f"{key}.{os.getpid()}.part")
        work.mkdir(parents=True, exist_ok=True)
        for item in directory.iterdir():
            if item.name != VMAP_FILE and not (work / item.name).exists():
                (work / item.name).symlink_to(item)
        (work / VMAP_FILE).write_bytes(Path(vmap).read_bytes())
        os.replace(work, shadow)
    except OSError as err:
        if (shadow / VMAP_FILE).is_file():  # made by a concurrent run
            return shadow
        raise ModelUnavailable(f"cannot prepare the vmap {vmap} for {directory}: {err}") from None
    return shadow
