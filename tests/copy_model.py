"""A tiny MarianMT model trained to copy its input: a committed test fixture and its recipe.

End-to-end tests need a model whose output is predictable: this one copies its (Azerbaijani,
English or Russian) input, including what the product injects into a source — glossary terms in
straight quotes with Azerbaijani suffixes ('"IOM"-nin'), placeholders (ZXQ1-nin) and compact
inline tags (`<g1>...</g1>`, `<x2/>`). Its last decoder layer's cross-attention heads are
trained onto the diagonal, the first of them being the head CTranslate2's converter returns
attention from (alignment_layer=-1, alignment_heads=1), so word alignment through
`return_attention=True` is testable too. The `<pad>` (decoder start) embedding stays zero as
in opus-mt, since CTranslate2 starts Marian decoders from a zero vector.

The trained model is committed under `tests/fixtures/copy-model/` (FIXTURE): training differs
from machine to machine (thread scheduling, BLAS), and training in every CI run would not fit
its time. `build.json` beside the model holds the recipe key (a hash of the recipe, the
training code and the training data files) and what the training measured; a test checks the
key still matches this file, and tests that need exact copies select at run time the inputs
this model copies exactly, so they hold for any regenerated fixture. To regenerate (about 5
minutes on 2 cores), after changing the recipe or the training code:

    python tests/copy_model.py            # writes tests/fixtures/copy-model/ (atomically)
    python tests/copy_model.py --check    # does the committed fixture match the recipe?

* `FIXTURE / HF_NAME` is the Hugging Face directory (opus-mt layout: config.json, source.spm ==
  target.spm, joint vocab.json, tokenizer_config.json with source_lang az / target_lang en,
  generation_config.json, model.safetensors).
* `convert_ct2(hf_dir, out)` makes its CTranslate2 int8 conversion through
  `dilmanc.models.convert.convert_to_ct2` (the `dilmanc models convert` code path).
* `load_corpus(data_dir)` gives the training lines and the held-out lines (never trained on).

Training text is read at build time from the shared NTREX-128 files (az, en, ru): examples are
random word spans of the training lines, a share of them carrying generated injections (terms,
tags, placeholders); nothing third-party is stored in the repository (the model's pieces are
learnt from it, as any released model's are).
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import math
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import tiny_models

DATA_FILES = {
    "az": "ntrex128/newstest2019-ref.aze-Latn.txt",
    "en": "ntrex128/newstest2019-src.eng.txt",
    "ru": "ntrex128/newstest2019-ref.rus.txt",
}
HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "fixtures" / "copy-model"
HF_NAME = "opus-mt-az-en"
BUILD_FILE = "build.json"

# Terms the glossary injects, and Azerbaijani case/possessive suffixes that follow them.
TERMS = (
    "IOM",
    "МОМ",
    "Tier 2",
    "BMqT",
    "USAID",
    "ABŞ",
    "UNICEF",
    "OSCE",
    "ЕС",
    "ООН",
    "Tier 2 Watch List",
    "human trafficking",
    "торговля людьми",
    "Migration Service",
)
# fmt: off
SUFFIXES = [
    "nin", "nın", "nun", "nün", "in", "ın", "un", "ün", "yə", "ya", "a", "ə", "da", "də", "dan",
    "dən", "la", "lə", "dır", "dir", "lar", "lər", "ları", "ləri", "sı", "si", "su", "sü", "ndə",
    "nda", "ndan", "ndən", "nı", "ni"
]
# fmt: on
QUOTES = (('"', '"'), ('"', '"'), ("«", "»"), ("“", "”"))


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the trained model (all of it is part of the recipe key)."""

    vocab_size: int = 3000
    spm_type: str = "unigram"
    d_model: int = 128
    layers: int = 2
    heads: int = 4
    ffn: int = 256
    max_words: int = 48  # examples are random spans of 1..max_words words of a line
    max_tokens: int = 128
    augmented_share: float = 0.3
    scrambled_share: float = 0.25  # random corpus words in random order: copying, no LM
    heldout: int = 100
    steps: int = 1500
    batch_size: int = 64
    lr: float = 3e-3
    warmup: int = 100
    align_weight: float = 1.0
    align_heads: int = 4
    seed: int = 0
    threads: int = 2


@dataclass
class CopyCorpus:
    lines: dict[str, list[str]]  # training lines per language
    heldout: list[str]  # whole az lines never trained on (≤ max_words words)
    terms: list[str]  # words of the en/ru training lines, injected like glossary terms


# --- corpus --------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[str]:
    return [" ".join(line.split()) for line in path.read_text(encoding="utf-8").splitlines()]


def load_corpus(data_dir: Path, recipe: Recipe = Recipe()) -> CopyCorpus:
    """The training lines (az, en, ru) and `recipe.heldout` held-out az lines.

    A held-out line is a whole NTREX line of 3..max_words words picked at random; the line is
    left out of training in every language (its translations too)."""
    rng = random.Random(recipe.seed)
    texts = {lang: _read_lines(Path(data_dir) / name) for lang, name in DATA_FILES.items()}
    order = [i for i in range(len(texts["az"])) if len(texts["az"][i].split()) >= 3]
    order = [i for i in order if len(texts["az"][i].split()) <= recipe.max_words]
    rng.shuffle(order)
    held = set(order[: recipe.heldout])
    heldout = [texts["az"][i] for i in sorted(held)]
    lines = {
        lang: [line for i, line in enumerate(rows) if i not in held and line]
        for lang, rows in texts.items()
    }
    words = " ".join(lines["en"] + lines["ru"]).split()
    terms = sorted({w.strip(".,;:!?()«»\"'") for w in words} - {""})
    return CopyCorpus(lines, heldout, terms)


def _quoted(term: str, rng: random.Random) -> str:
    left, right = rng.choice(QUOTES)
    return f"{left}{term}{right}"


def _augment(words: list[str], rng: random.Random, terms: list[str]) -> list[str]:
    """One product-style edit of `words`: an injected term, a placeholder, or inline tags."""
    words = list(words)
    pos = rng.randrange(len(words))
    kind = rng.choice(("term", "term", "placeholder", "tags", "tags", "standalone"))
    suffix = f"-{rng.choice(SUFFIXES)}" if rng.random() < 0.7 else ""
    if kind == "term":
        term = rng.choice(TERMS) if rng.random() < 0.6 else rng.choice(terms)
        words[pos] = _quoted(term, rng) + suffix
    elif kind == "placeholder":
        token = f"ZXQ{rng.randint(1, 9)}"
        words[pos] = (_quoted(token, rng) if rng.random() < 0.2 else token) + suffix
    elif kind == "tags":
        start = 0 if rng.random() < 0.2 else pos
        end = min(len(words), start + rng.choice((1, 1, 2, 3, 4)))
        number = rng.randint(1, 12)
        span = " ".join(words[start:end])
        tail = ""
        if rng.random() < 0.3 and span and not span[-1].isalnum():
            span, tail = span[:-1], span[-1]  # the tag closes before the punctuation
        elif rng.random() < 0.25:
            tail = suffix or "-nin"  # <g1>BMqT</g1>-nin
        words[start:end] = [f"<g{number}>{span}</g{number}>{tail}"]
    else:
        tag = f"<x{rng.randint(1, 12)}/>"
        if rng.random() < 0.5:
            words.insert(pos, tag)
        else:
            words[pos] = words[pos] + tag if rng.random() < 0.5 else tag + words[pos]
    return words


def examples(corpus: CopyCorpus, recipe: Recipe, rng: random.Random) -> Iterator[str]:
    """Endless training examples: a random span of a random training line (az twice as often
    as en or ru), a share of them with one to three product-style injections, and a share
    of random corpus words in random order (nothing to predict but by copying)."""
    pools = [corpus.lines["az"], corpus.lines["az"], corpus.lines["en"], corpus.lines["ru"]]
    vocabulary = sorted({w for pool in pools[1:] for line in pool for w in line.split()})
    while True:
        words = rng.choice(rng.choice(pools)).split()
        length = rng.randint(1, min(len(words), recipe.max_words))
        start = rng.randint(0, len(words) - length)
        span = words[start : start + length]
        draw = rng.random()
        if draw < recipe.scrambled_share:
            span = [rng.choice(vocabulary) for _ in range(rng.randint(1, recipe.max_words))]
        elif draw < recipe.scrambled_share + recipe.augmented_share:
            for _ in range(rng.choice((1, 1, 2, 3))):
                span = _augment(span, rng, corpus.terms)
        yield " ".join(span)


# --- recipe key ----------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _training_code() -> str:
    """The source of everything that decides the weights (not this module's docs or CLI)."""
    parts = [
        Recipe,
        load_corpus,
        _augment,
        examples,
        _batches,
        train,
        tiny_models.train_spm,
        tiny_models.marian_vocab,
        tiny_models.marian_config,
        tiny_models.write_marian_dir,
    ]
    constants = json.dumps([DATA_FILES, TERMS, SUFFIXES, QUOTES, tiny_models.ALPHABETS])
    return "".join(inspect.getsource(part) for part in parts) + constants


def recipe_fingerprint(data_dir: Path, recipe: Recipe = Recipe()) -> dict:
    """What the recipe key hashes: recipe, training code, data files."""
    return {
        "recipe": asdict(recipe),
        "code_sha256": CODE_SHA256,
        "data_sha256": {
            name: _sha256((Path(data_dir) / name).read_bytes()) for name in DATA_FILES.values()
        },
    }


def recipe_key(data_dir: Path, recipe: Recipe = Recipe()) -> str:
    blob = json.dumps(recipe_fingerprint(data_dir, recipe), sort_keys=True).encode("utf-8")
    return _sha256(blob)[:16]


def read_build_info(fixture: Path = FIXTURE) -> dict:
    """build.json of the committed fixture (recipe, key, training time and losses, rates)."""
    return json.loads((Path(fixture) / BUILD_FILE).read_text(encoding="utf-8"))


def convert_ct2(hf_dir: Path, out: Path) -> Path:
    """The CTranslate2 int8 conversion, made through dilmanc's converter."""
    from dilmanc.models.convert import convert_to_ct2

    return convert_to_ct2(Path(hf_dir), Path(out), quantization="int8", force=True)


def retarget(hf_dir: Path, out: Path, target: str) -> Path:
    """A copy of the model directory that says it translates az→`target` (it copies any
    language, so it serves as the model for Russian too)."""
    shutil.copytree(hf_dir, out)
    config = {"target_lang": target, "source_lang": "az"}
    (out / "tokenizer_config.json").write_text(json.dumps(config), "utf-8")
    return out


# --- training ------------------------------------------------------------------------------


def _batches(
    stream: Iterator[list[int]], recipe: Recipe, rng: random.Random
) -> Iterator[list[list[int]]]:
    """Endless batches of token id lists; members of a batch have similar lengths."""
    size = recipe.batch_size
    while True:
        pool = sorted((next(stream) for _ in range(size * 16)), key=len)
        batches = [pool[i : i + size] for i in range(0, len(pool), size)]
        rng.shuffle(batches)
        yield from batches


def train(data_dir: Path, out: Path, recipe: Recipe = Recipe()) -> dict:
    """Train the copy model into `out` (the opus-mt layout) and return training facts."""
    import torch
    import torch.nn.functional as F
    from transformers import MarianMTModel, MarianTokenizer

    corpus = load_corpus(data_dir, recipe)
    spm_model = tiny_models.train_spm(
        corpus.lines["az"] + corpus.lines["en"] + corpus.lines["ru"] + list(TERMS),
        recipe.vocab_size,
        recipe.spm_type,
        byte_fallback=True,
        normalization="identity",
    )
    vocab = tiny_models.marian_vocab([spm_model])
    pad = vocab["<pad>"]

    # Token ids exactly as the product's tokenizer produces them (files written first).
    out.mkdir(parents=True, exist_ok=True)
    (out / "source.spm").write_bytes(spm_model)
    (out / "target.spm").write_bytes(spm_model)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), "utf-8")
    tokenizer = MarianTokenizer(
        str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json")
    )
    rng = random.Random(recipe.seed)

    def encoded() -> Iterator[list[int]]:
        for text in examples(corpus, recipe, rng):
            ids = tokenizer(text, add_special_tokens=True)["input_ids"]
            if len(ids) <= recipe.max_tokens + 1:
                yield ids

    old_threads = torch.get_num_threads()
    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    config = tiny_models.marian_config(
        vocab,
        d_model=recipe.d_model,
        layers=recipe.layers,
        heads=recipe.heads,
        ffn=recipe.ffn,
        init_std=recipe.d_model**-0.5,
        dropout=0.0,
    )
    model = MarianMTModel._from_config(config, attn_implementation="eager")
    model.train()
    embeddings = model.get_input_embeddings().weight
    # As in opus-mt, the <pad> (decoder start) embedding stays zero: CTranslate2 starts the
    # decoder from a zero embedding instead of looking <pad> up.
    with torch.no_grad():
        embeddings[pad].zero_()
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr, betas=(0.9, 0.98))

    def lr_at(step: int) -> float:
        if step < recipe.warmup:
            return (step + 1) / recipe.warmup
        progress = (step - recipe.warmup) / max(1, recipe.steps - recipe.warmup)
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    batches = _batches(encoded(), recipe, rng)
    started = time.perf_counter()
    history = []
    try:
        for step in range(recipe.steps):
            batch = next(batches)
            width = max(len(ids) for ids in batch)
            src = torch.full((len(batch), width), pad, dtype=torch.long)
            for row, ids in enumerate(batch):
                src[row, : len(ids)] = torch.tensor(ids)
            mask = src != pad
            # The label at step i is source token i; the decoder input is shifted right.
            decoder_in = torch.cat([torch.full((len(batch), 1), pad), src[:, :-1]], dim=1)
            labels = src.masked_fill(~mask, -100)
            output = model(
                input_ids=src,
                attention_mask=mask.long(),
                decoder_input_ids=decoder_in,
                output_attentions=True,
            )
            copy_loss = F.cross_entropy(output.logits.flatten(0, 1), labels.flatten())
            # Last decoder layer: target position i attends source position i, in the first
            # head (the one CTranslate2 returns) and the next align_heads - 1 (a wider copy
            # path than one head's d_model / heads dimensions).
            attention = output.cross_attentions[-1][:, : recipe.align_heads]
            diagonal = attention.diagonal(dim1=2, dim2=3)  # batch, heads, position
            weights = mask.float().unsqueeze(1).expand_as(diagonal)
            align_loss = -(diagonal.clamp_min(1e-6).log() * weights).sum() / weights.sum()
            loss = copy_loss + recipe.align_weight * align_loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            with torch.no_grad():
                embeddings[pad].zero_()
            if step % 100 == 0 or step == recipe.steps - 1:
                history.append([step, round(copy_loss.item(), 4), round(align_loss.item(), 4)])
    finally:
        torch.set_num_threads(old_threads)
    seconds = time.perf_counter() - started
    model.eval()
    tiny_models.write_marian_dir(
        out,
        model=model,
        source_spm=spm_model,
        target_spm=spm_model,
        vocab=vocab,
        source="az",
        target_lang="en",
    )
    return {
        "train_seconds": round(seconds, 1),
        "params": sum(p.numel() for p in model.parameters()),
        "heldout_lines": len(corpus.heldout),
        "loss_history": history,
    }


# Hashed once at import: a training run keeps the key of the code it trained with, even if the
# file changes on disk while it runs.
CODE_SHA256 = _sha256(_training_code().encode("utf-8"))


# --- measuring and regenerating ------------------------------------------------------------


def measure(hf_dir: Path, data_dir: Path, work: Path) -> dict:
    """Exact-copy rates of the held-out lines through both of dilmanc's engines."""
    from dilmanc.engines.registry import load_engine
    from dilmanc.languages import resolve

    heldout = load_corpus(data_dir).heldout
    az, en = resolve("az"), resolve("en")
    rates = {}
    for name, directory in (
        ("ctranslate2", convert_ct2(hf_dir, work / "ct2")),
        ("transformers", hf_dir),
    ):
        outputs = load_engine(str(directory)).translate_batch(heldout, az, en)
        exact = sum(out == src for out, src in zip(outputs, heldout, strict=True))
        rates[name] = round(exact / len(heldout), 4)
    return rates


def regenerate(data_dir: Path, fixture: Path = FIXTURE) -> dict:
    """Train, measure and write the fixture (a temporary directory renamed into place)."""
    recipe = Recipe()
    tmp = fixture.parent / f".{fixture.name}.part-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        stats = train(data_dir, tmp / HF_NAME, recipe)
        rates = measure(tmp / HF_NAME, data_dir, tmp / "measure")
        shutil.rmtree(tmp / "measure")
        key = recipe_key(data_dir, recipe)
        info = {**recipe_fingerprint(data_dir, recipe), "key": key, **stats}
        info["heldout_copied"] = rates
        (tmp / BUILD_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        if fixture.exists():
            shutil.rmtree(fixture)
        os.replace(tmp, fixture)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate or check the copy-model fixture.")
    default_data = Path(os.environ.get("DILMANC_SHARED", HERE.parent.parent / "shared")) / "data"
    parser.add_argument("--data", type=Path, default=default_data, help="shared/data folder")
    parser.add_argument("--check", action="store_true", help="only compare the recipe keys")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE.parent))
    key = recipe_key(args.data)
    if args.check:
        committed = read_build_info()["key"] if (FIXTURE / BUILD_FILE).is_file() else None
        print(f"recipe key {key}, fixture key {committed}")
        return 0 if committed == key else 1
    info = regenerate(args.data)
    print(json.dumps({k: info[k] for k in ("key", "train_seconds", "heldout_copied")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
