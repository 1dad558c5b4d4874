"""Options several commands share (`translate`, `serve`), declared once so that their
names, defaults and help never drift apart."""

from __future__ import annotations

import typer

MEMORY_FILE = typer.Option(
    None,
    "--tm",
    metavar="FILE|URL",
    help="Translation memory and cache: a SQLite file (default: $DILMANC_HOME/memory.db) "
    "or a postgresql://user@host/db URL.",
)
NO_TM = typer.Option(False, "--no-tm", help="Do not use translation-memory matches.")
NO_CACHE = typer.Option(False, "--no-cache", help="Do not reuse or store machine translations.")
GLOSSARY_MODE = typer.Option(
    "inject", "--glossary-mode", metavar="MODE", help="inject, placeholder or off."
)
BEAM = typer.Option(4, "--beam", metavar="N", help="Beam size.")
MIN_LENGTH = typer.Option(
    0, "--min-length", hidden=True, metavar="N", help="Shortest output, in tokens (benchmarks)."
)
ENGINE = typer.Option(
    None,
    "--engine",
    metavar="ENGINE",
    help="transformers or ctranslate2 (default: from the model directory).",
)
DEVICE = typer.Option("cpu", "--device", metavar="DEVICE", help="cpu or cuda.")
VMAP = typer.Option(
    "off",
    "--vmap",
    metavar="auto|FILE|off",
    help="CTranslate2 vocabulary map: auto uses the model's vmap.txt if it has one (see "
    "`dilmanc models vmap`); faster NLLB decoding, opt-in.",
)
SOURCE = typer.Option("az", "--from", "-f", metavar="LANG", help="Source language.")


# Settings fields → the options that set them, for error messages.
FLAGS = {
    "beam_size": "--beam",
    "max_length": "--max-length",
    "min_length": "--min-length",
    "batch_tokens": "--batch-tokens",
    "batch_size": "--batch-size",
    "threads": "--threads",
    "device": "--device",
    "engine": "--engine",
    "glossary_mode": "--glossary-mode",
    "n_best": "--n-best",
    "names": "--names",
    "tm_threshold": "--tm-threshold",
    "encoding": "--encoding",
    "qe": "--qe",
    "vmap": "--vmap",
    "models": "--model",
    "targets": "--to",
    "source": "--from",
    "src_lang": "--src",
    "tgt_lang": "--tgt",
}


def flag(setting: str) -> str:
    """The option that sets `setting` (a Settings field or another setting's name)."""
    return FLAGS.get(setting, f"--{setting.replace('_', '-')}")
