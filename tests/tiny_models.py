"""Tiny random-weight translation models in the real Hugging Face hub layouts.

Used by the test fixtures (tests/conftest.py) and reusable by benchmarks, which may pass real
sizes (`build_marian(dir, d_model=512, layers=6, heads=8, ffn=2048, vocab_size=...)`).

* Marian (opus-mt): config.json, source.spm, target.spm, vocab.json (joint, `<pad>` last),
  tokenizer_config.json (only source_lang/target_lang, as on the hub), generation_config.json,
  model.safetensors.
* NLLB (M2M100): config.json, sentencepiece.bpe.model + tokenizer.json and the FLORES language
  codes as added special tokens (written by `NllbTokenizer.save_pretrained`),
  tokenizer_config.json, special_tokens_map.json, generation_config.json, model.safetensors.

Sentencepiece models are trained at build time on generated text (our own word lists, no
third-party data), so the whole build takes a few seconds. Weights are drawn with a large
`init_std` so that different inputs give different (garbage) outputs; benchmarks that only
measure speed may keep it.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterable
from pathlib import Path


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Our own word lists; every letter of the three alphabets is covered by ALPHABETS below.
AZ_WORDS = _words(
    "ölkə hökumət insan alveri qurbanları müdafiə dövlət proqram layihə beynəlxalq təşkilat "
    "miqrasiya əməkdaşlıq hesabat ildə şəhər Bakı Azərbaycan səfirlik dəstək təlim mütəxəssis "
    "polis məhkəmə qanun yeni ümumi çox böyük kiçik yaxşı iş gün il ay həftə xalq uşaq qadın "
    "kişi ailə məktəb universitet sağlamlıq iqtisadiyyat inkişaf tədbir görüş nazirlik ictimai "
    "şura əlaqə məlumat fəaliyyət qeyd etdi bildirib keçirilib olunub üçün ilə və da də bu o "
    "Miqrasiya Beynəlxalq Təşkilatı BMqT ABŞ Səfirliyi İnsan Alverinə Qarşı Mübarizə"
)
EN_WORDS = _words(
    "country government human trafficking victims protection state programme project "
    "international organization migration cooperation report year city Baku Azerbaijan "
    "embassy support training expert police court law new general many large small good work "
    "day month week people child woman man family school university health economy development "
    "event meeting ministry public council contact information activity noted said held was "
    "for with and also this that the a of in to on IOM USAID United States Tier"
)
RU_WORDS = _words(
    "страна правительство торговля людьми жертвы защита государство программа проект "
    "международный организация миграция сотрудничество доклад год город Баку Азербайджан "
    "посольство поддержка обучение эксперт полиция суд закон новый общий много большой малый "
    "хороший работа день месяц неделя народ ребёнок женщина мужчина семья школа университет "
    "здоровье экономика развитие мероприятие встреча министерство общественный совет и в на "
    "для с также это что был была было МОМ США"
)
ALPHABETS = (
    "abcçdeəfgğhxıijkqlmnoöprsştuüvyz ABCÇDEƏFGĞHXIİJKQLMNOÖPRSŞTUÜVYZ "
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ "
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ "
    "0123456789 .,;:!?-–—()[]«»\"'/%№«»“”„"
)

# Target tokens of multi-target Marian models (`>>rus<<`), as in opus-mt-*-mul style vocabularies.
MARIAN_TARGET_TOKENS = {"en": ">>eng<<", "ru": ">>rus<<"}


def sentences(words: tuple[str, ...] | list[str], n: int, seed: int) -> list[str]:
    """`n` pseudo-sentences from `words`, with numbers and punctuation, deterministic."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        picked = [rng.choice(words) for _ in range(rng.randint(4, 14))]
        if rng.random() < 0.3:
            picked.insert(rng.randrange(len(picked)), str(rng.randint(1, 2030)))
        text = " ".join(picked)
        out.append(text[0].upper() + text[1:] + rng.choice(".!?."))
    return out


def train_spm(
    lines: Iterable[str],
    vocab_size: int,
    model_type: str = "unigram",
    *,
    byte_fallback: bool = False,
    normalization: str = "nmt_nfkc",
) -> bytes:
    """Train a sentencepiece model in memory and return its serialized bytes.

    `byte_fallback` adds the 256 byte pieces `<0x00>`..`<0xFF>` (any character encodes);
    `normalization` is sentencepiece's rule name ("identity" keeps the text as written)."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([*lines, ALPHABETS]),
        model_writer=model,
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=1.0,
        hard_vocab_limit=False,
        byte_fallback=byte_fallback,
        normalization_rule_name=normalization,
        bos_id=-1 if model_type == "unigram" else 0,
        eos_id=1 if model_type == "unigram" else 2,
        unk_id=2 if model_type == "unigram" else 1,
        pad_id=-1,
        minloglevel=2,
        num_threads=1,
    )
    return model.getvalue()


def _pieces(spm_bytes: bytes) -> list[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_proto=spm_bytes)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def _prefer_text_tokens(model, special_ids: list[int]) -> None:
    """Zero the (tied) embeddings of special tokens (EOS, language codes...) so that random
    weights rarely produce them: outputs are then non-empty text of about max_length tokens."""
    import torch

    with torch.no_grad():
        weight = model.get_input_embeddings().weight
        for token_id in special_ids:
            weight[token_id].zero_()


def marian_vocab(spm_models: list[bytes], extra_tokens: Iterable[str] = ()) -> dict[str, int]:
    """Joint vocabulary as in opus-mt: `</s>` 0, `<unk>` 1, `extra_tokens` (`>>rus<<`...), the
    pieces of every spm model in order (byte pieces `<0x00>`... included), `<pad>` last."""
    vocab: dict[str, int] = {"</s>": 0, "<unk>": 1}
    for token in extra_tokens:
        vocab[token] = len(vocab)
    for spm_bytes in spm_models:
        for piece in _pieces(spm_bytes):
            if piece not in vocab and piece not in ("<s>", "</s>", "<unk>"):
                vocab[piece] = len(vocab)
    vocab["<pad>"] = len(vocab)
    return vocab


def marian_config(
    vocab: dict[str, int],
    *,
    d_model: int,
    layers: int,
    heads: int,
    ffn: int,
    init_std: float,
    dropout: float = 0.1,
):
    """The MarianConfig of an opus-mt model over `vocab` (tied embeddings, pad = start token)."""
    from transformers import MarianConfig

    pad = vocab["<pad>"]
    return MarianConfig(
        vocab_size=len(vocab),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=512,
        pad_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        decoder_start_token_id=pad,
        scale_embedding=True,
        init_std=init_std,
        dropout=dropout,
        activation_function="swish",
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
        architectures=["MarianMTModel"],
    )


def write_marian_dir(
    out: Path,
    *,
    model,
    source_spm: bytes,
    target_spm: bytes,
    vocab: dict[str, int],
    source: str,
    target_lang: str,
) -> Path:
    """Write `model` and its tokenizer files in the opus-mt hub layout into `out`."""
    from transformers import GenerationConfig

    out.mkdir(parents=True, exist_ok=True)
    (out / "source.spm").write_bytes(source_spm)
    (out / "target.spm").write_bytes(target_spm)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, indent=2), "utf-8")
    pad = vocab["<pad>"]
    model.save_pretrained(out)
    GenerationConfig(
        bad_words_ids=[[pad]],
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
        max_length=512,
        num_beams=4,
        pad_token_id=pad,
    ).save_pretrained(out)
    # Exactly what the hub's opus-mt repos hold: no tokenizer_class, so loading goes through
    # config.json's model_type (and a CTranslate2 copy has to name MarianTokenizer itself).
    (out / "tokenizer_config.json").write_text(
        json.dumps({"target_lang": target_lang, "source_lang": source}), "utf-8"
    )
    return out


def build_marian(
    out_dir: str | Path,
    *,
    source: str = "az",
    target: str = "en",
    d_model: int = 16,
    layers: int = 1,
    heads: int = 2,
    ffn: int = 32,
    vocab_size: int = 300,
    multi_target: bool = False,
    init_std: float = 0.3,
    seed: int = 0,
) -> Path:
    """A random-weight MarianMT model in the opus-mt layout (`vocab_size` per spm side)."""
    import torch
    from transformers import MarianMTModel

    words = {"az": AZ_WORDS, "en": EN_WORDS, "ru": RU_WORDS}
    n_lines = max(300, vocab_size // 4)
    src_spm = train_spm(sentences(words[source], n_lines, seed), vocab_size)
    tgt_spm = train_spm(sentences(words[target], n_lines, seed + 1), vocab_size)
    marks = MARIAN_TARGET_TOKENS.values() if multi_target else ()
    vocab = marian_vocab([src_spm, tgt_spm], marks)
    config = marian_config(
        vocab, d_model=d_model, layers=layers, heads=heads, ffn=ffn, init_std=init_std
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config).eval()
    _prefer_text_tokens(model, [0, 1, vocab["<pad>"]] + [vocab[m] for m in marks])
    return write_marian_dir(
        Path(out_dir),
        model=model,
        source_spm=src_spm,
        target_spm=tgt_spm,
        vocab=vocab,
        source=source,
        target_lang="mul" if multi_target else target,
    )


def build_nllb(
    out_dir: str | Path,
    *,
    d_model: int = 16,
    layers: int = 1,
    heads: int = 2,
    ffn: int = 32,
    vocab_size: int = 600,
    init_std: float = 0.3,
    seed: int = 0,
) -> Path:
    """A random-weight NLLB (M2M100) model with a real NllbTokenizer and its language codes."""
    import torch
    from transformers import (
        GenerationConfig,
        M2M100Config,
        M2M100ForConditionalGeneration,
        NllbTokenizer,
    )

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_lines = max(300, vocab_size // 6)
    text = (
        sentences(AZ_WORDS, n_lines, seed)
        + sentences(EN_WORDS, n_lines, seed + 1)
        + sentences(RU_WORDS, n_lines, seed + 2)
    )
    (out / "sentencepiece.bpe.model").write_bytes(train_spm(text, vocab_size, "bpe"))
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    # Language codes as added special tokens after the spm pieces, as in the hub tokenizer.
    tok = NllbTokenizer.from_pretrained(str(out), extra_special_tokens=FAIRSEQ_LANGUAGE_CODES)
    tok.save_pretrained(out)

    config = M2M100Config(
        vocab_size=len(tok),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn,
        max_position_embeddings=512,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.eos_token_id,
        scale_embedding=True,
        init_std=init_std,
        activation_function="relu",
        tie_word_embeddings=True,
        tokenizer_class="NllbTokenizer",
        architectures=["M2M100ForConditionalGeneration"],
    )
    torch.manual_seed(seed)
    model = M2M100ForConditionalGeneration(config).eval()
    _prefer_text_tokens(model, sorted(set(tok.all_special_ids) | set(tok.added_tokens_decoder)))
    model.save_pretrained(out)
    GenerationConfig(
        bos_token_id=tok.bos_token_id,
        decoder_start_token_id=tok.eos_token_id,
        eos_token_id=tok.eos_token_id,
        max_length=200,
        pad_token_id=tok.pad_token_id,
    ).save_pretrained(out)
    return out


def install_in_hf_cache(model_dir: str | Path, repo_id: str, hub_cache: str | Path) -> Path:
    """Copy `model_dir` into a Hugging Face hub cache as the `main` snapshot of `repo_id`.

    Lets tests exercise preset/hub-id resolution offline, exactly as after `models pull`.
    """
    import shutil

    repo_root = Path(hub_cache) / f"models--{repo_id.replace('/', '--')}"
    commit = "0" * 40
    snapshot = repo_root / "snapshots" / commit
    shutil.copytree(model_dir, snapshot, dirs_exist_ok=True)
    (repo_root / "refs").mkdir(parents=True, exist_ok=True)
    (repo_root / "refs" / "main").write_text(commit)
    return snapshot
