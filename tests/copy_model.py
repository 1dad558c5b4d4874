"""A tiny MarianMT model trained to copy its input, in the opus-mt hub layout, cached on disk.

End-to-end tests need a model whose output is predictable: this one copies its (Azerbaijani,
English or Russian) input, including what the product injects into a source — glossary terms in
straight quotes with Azerbaijani suffixes ('"IOM"-nin'), placeholders (ZXQ1-nin) and compact
inline tags (`<g1>...</g1>`, `<x2/>`). Its last decoder layer's cross-attention heads are
trained onto the diagonal, the first of them being the head CTranslate2's converter returns
attention from (alignment_layer=-1, alignment_heads=1), so word alignment through
`return_attention=True` is testable too. The `<pad>` (decoder start) embedding stays zero as
in opus-mt, since CTranslate2 starts Marian decoders from a zero vector.

* `build_copy_marian(data_dir, cache_root)` → the Hugging Face directory (`opus-mt-az-en/`:
  config.json, source.spm == target.spm, joint vocab.json, tokenizer_config.json with
  source_lang az / target_lang en, generation_config.json, model.safetensors).
* `build_copy_marian_ct2(data_dir, cache_root)` → its CTranslate2 int8 conversion, made by
  `dilmanc.models.convert.convert_to_ct2` (the `dilmanc models convert` code path).
* `load_corpus(data_dir)` → the training lines and the held-out lines (never trained on).

Training text is read at build time from the shared NTREX-128 files (az, en, ru), split into
short segments, plus generated augmentations; nothing third-party is stored in the repository.
The build is cached under `cache_root/copy-marian-<key>/`, where the key hashes the recipe's
hyper-parameters, this module's source, the tiny_models helpers it uses and the data files'
sha256. A build happens in a temporary directory renamed into place under a file lock, so a
killed run never leaves a half model and concurrent sessions train once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import inspect
import json
import math
import os
import random
import re
import shutil
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
HF_NAME = "opus-mt-az-en"
CT2_NAME = "opus-mt-az-en-ct2-int8"
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
    """Everything that decides the trained model (all of it is part of the cache key)."""

    vocab_size: int = 4000
    spm_type: str = "unigram"
    d_model: int = 128
    layers: int = 2
    heads: int = 4
    ffn: int = 384
    max_words: int = 10
    max_tokens: int = 40
    augmented: int = 5000
    heldout: int = 100
    steps: int = 1000
    batch_size: int = 48
    lr: float = 3e-3
    warmup: int = 50
    align_weight: float = 1.0
    align_heads: int = 4
    dropout: float = 0.0
    seed: int = 0
    threads: int = 2


@dataclass
class CopyCorpus:
    train: list[str]
    heldout: list[str]


# --- corpus --------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[str]:
    return [" ".join(line.split()) for line in path.read_text(encoding="utf-8").splitlines()]


def segments(line: str, max_words: int) -> list[str]:
    """Split `line` at sentence, then clause punctuation into pieces of ≤ `max_words` words."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?;:])\s+", line):
        words = sentence.split()
        if not words:
            continue
        if len(words) <= max_words:
            out.append(sentence)
            continue
        current: list[str] = []
        for clause in re.split(r"(?<=,)\s+", sentence):
            clause_words = clause.split()
            if current and len(current) + len(clause_words) > max_words:
                out.append(" ".join(current))
                current = []
            current += clause_words
            while len(current) > max_words:
                out.append(" ".join(current[:max_words]))
                current = current[max_words:]
        if current:
            out.append(" ".join(current))
    return out


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
        number = rng.randint(1, 9)
        span = " ".join(words[start:end])
        tail = ""
        if rng.random() < 0.3 and span and not span[-1].isalnum():
            span, tail = span[:-1], span[-1]  # the tag closes before the punctuation
        elif rng.random() < 0.25:
            tail = suffix or "-nin"  # <g1>BMqT</g1>-nin
        words[start:end] = [f"<g{number}>{span}</g{number}>{tail}"]
    else:
        tag = f"<x{rng.randint(1, 9)}/>"
        if rng.random() < 0.5:
            words.insert(pos, tag)
        else:
            words[pos] = words[pos] + tag if rng.random() < 0.5 else tag + words[pos]
    return words


def load_corpus(data_dir: Path, recipe: Recipe = Recipe()) -> CopyCorpus:
    """Training segments (az, en, ru and augmented az/en/ru) and held-out az segments.

    The held-out lines are one segment (3..max_words words) from each of `recipe.heldout`
    NTREX lines picked at random; no segment of those lines (in any language) is trained on.
    """
    rng = random.Random(recipe.seed)
    texts = {lang: _read_lines(Path(data_dir) / name) for lang, name in DATA_FILES.items()}
    count = len(texts["az"])
    order = list(range(count))
    rng.shuffle(order)
    held_lines = set(order[: recipe.heldout])
    heldout = []
    for i in sorted(held_lines):
        candidates = [s for s in segments(texts["az"][i], recipe.max_words) if len(s.split()) >= 3]
        if candidates:
            heldout.append(rng.choice(candidates))
    held = set(heldout)
    by_lang: dict[str, list[str]] = {}
    for lang, lines in texts.items():
        by_lang[lang] = [
            seg
            for i, line in enumerate(lines)
            if i not in held_lines
            for seg in segments(line, recipe.max_words)
            if seg not in held
        ]
    terms = sorted({w.strip(".,;:!?()«»\"'") for w in " ".join(by_lang["en"]).split()} - {""})
    terms += sorted({w.strip(".,;:!?()«»\"'") for w in " ".join(by_lang["ru"]).split()} - {""})
    augmented = []
    for _ in range(recipe.augmented):
        lang = rng.choice(("az", "az", "az", "en", "ru"))
        words = rng.choice(by_lang[lang]).split()
        for _ in range(rng.choice((1, 1, 2, 3))):
            words = _augment(words, rng, terms)
        augmented.append(" ".join(words))
    train = by_lang["az"] + by_lang["en"] + by_lang["ru"] + augmented
    return CopyCorpus([s for s in train if s not in held], heldout)


# --- cache ---------------------------------------------------------------------------------


def default_cache_root() -> Path:
    return Path(os.environ.get("DILMANC_TEST_CACHE", Path.home() / ".cache" / "dilmanc-tests"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _code_sha256() -> str:
    """This module's source and the tiny_models helpers it trains with, hashed once at import
    (a process keeps one key even if the file is edited while it runs)."""
    helpers = (
        tiny_models.train_spm,
        tiny_models.marian_vocab,
        tiny_models.marian_config,
        tiny_models.write_marian_dir,
    )
    code = Path(__file__).read_text(encoding="utf-8")
    code += "".join(inspect.getsource(fn) for fn in helpers) + tiny_models.ALPHABETS
    return _sha256(code.encode("utf-8"))


CODE_SHA256 = _code_sha256()


def recipe_fingerprint(data_dir: Path, recipe: Recipe = Recipe()) -> dict:
    """What the cache key hashes: recipe, training code, data files."""
    return {
        "recipe": asdict(recipe),
        "code_sha256": CODE_SHA256,
        "data_sha256": {
            name: _sha256((Path(data_dir) / name).read_bytes()) for name in DATA_FILES.values()
        },
    }


def cache_key(data_dir: Path, recipe: Recipe = Recipe()) -> str:
    blob = json.dumps(recipe_fingerprint(data_dir, recipe), sort_keys=True).encode("utf-8")
    return _sha256(blob)[:16]


def cache_dir(data_dir: Path, cache_root: Path, recipe: Recipe = Recipe()) -> Path:
    return Path(cache_root) / f"copy-marian-{cache_key(data_dir, recipe)}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class NotCached(RuntimeError):
    """The model is not in the cache and the caller forbade training."""


def build_copy_marian(
    data_dir: Path,
    cache_root: Path | None = None,
    recipe: Recipe = Recipe(),
    *,
    allow_training: bool = True,
) -> Path:
    """The copy model's Hugging Face directory, trained once and cached (see module doc)."""
    root = Path(cache_root) if cache_root is not None else default_cache_root()
    final = cache_dir(data_dir, root, recipe)
    model_dir = final / HF_NAME
    if (final / BUILD_FILE).is_file():
        return model_dir
    with _locked(root / f"{final.name}.lock"):
        if (final / BUILD_FILE).is_file():  # another process built it while we waited
            return model_dir
        if not allow_training:
            raise NotCached(f"no copy model cached at {final}")
        for stale in root.glob(f".{final.name}.part-*"):  # left by a killed run
            shutil.rmtree(stale, ignore_errors=True)
        tmp = root / f".{final.name}.part-{os.getpid()}"
        try:
            stats = _build(data_dir, tmp / HF_NAME, recipe)
            info = {**recipe_fingerprint(data_dir, recipe), "key": final.name, **stats}
            (tmp / BUILD_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
            if final.exists():  # an incomplete directory without build.json
                shutil.rmtree(final)
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return model_dir


def build_copy_marian_ct2(
    data_dir: Path, cache_root: Path | None = None, recipe: Recipe = Recipe()
) -> Path:
    """The CTranslate2 int8 conversion of the copy model, made once through dilmanc's converter."""
    from dilmanc.models.convert import convert_to_ct2, is_ct2_dir

    hf_dir = build_copy_marian(data_dir, cache_root, recipe)
    out = hf_dir.parent / CT2_NAME
    if is_ct2_dir(out):
        return out
    with _locked(hf_dir.parent.parent / f"{hf_dir.parent.name}.lock"):
        if not is_ct2_dir(out):
            # convert_to_ct2 writes a temporary directory and renames it into place.
            convert_to_ct2(hf_dir, out, quantization="int8", force=True)
    return out


def read_build_info(model_dir: Path) -> dict:
    """build.json of a cached copy model (recipe, key, training time and losses, params)."""
    return json.loads((Path(model_dir).parent / BUILD_FILE).read_text(encoding="utf-8"))


# --- training ------------------------------------------------------------------------------


def _batches(lengths: list[int], recipe: Recipe, rng: random.Random) -> Iterator[list[int]]:
    """Endless batches of indices; members of a batch have similar lengths (less padding)."""
    size = recipe.batch_size
    while True:
        order = list(range(len(lengths)))
        rng.shuffle(order)
        batches = []
        chunk = size * 16
        for start in range(0, len(order), chunk):
            part = sorted(order[start : start + chunk], key=lengths.__getitem__)
            batches += [part[i : i + size] for i in range(0, len(part), size)]
        rng.shuffle(batches)
        yield from batches


def _build(data_dir: Path, out: Path, recipe: Recipe) -> dict:
    import torch
    import torch.nn.functional as F
    from transformers import MarianMTModel, MarianTokenizer

    corpus = load_corpus(data_dir, recipe)
    spm_model = tiny_models.train_spm(
        corpus.train,
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
    encoded = tokenizer(corpus.train, add_special_tokens=True)["input_ids"]
    examples = [ids for ids in encoded if len(ids) <= recipe.max_tokens + 1]
    unknown = sum(ids.count(vocab["<unk>"]) for ids in examples)

    old_threads = torch.get_num_threads()
    torch.set_num_threads(recipe.threads)
    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    config = tiny_models.marian_config(
        vocab,
        d_model=recipe.d_model,
        layers=recipe.layers,
        heads=recipe.heads,
        ffn=recipe.ffn,
        init_std=recipe.d_model**-0.5,
        dropout=recipe.dropout,
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
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_at)
    batches = _batches([len(ids) for ids in examples], recipe, rng)
    started = time.perf_counter()
    history = []
    try:
        for step in range(recipe.steps):
            batch = [examples[i] for i in next(batches)]
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
        "train_segments": len(examples),
        "heldout_segments": len(corpus.heldout),
        "unknown_tokens": unknown,
        "loss_history": history,
    }
