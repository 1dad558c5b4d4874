"""Random-weight models with the real architectures, for speed measurements.

`build_marian` writes an opus-mt-base-shaped MarianMT model in the Hugging Face hub layout
(source.spm, target.spm, vocab.json with <pad> last, config.json, model.safetensors), so it
loads through dilmanc's normal loader. `build_nllb` writes an NLLB-200-distilled-600M-shaped
M2M100 model with a tokenizer that knows the FLORES language codes. Sentencepiece models are
trained at run time on text the caller passes in (e.g. NTREX, read from ../shared, never copied);
their vocabulary is small, so the model vocabulary is padded with extra tokens up to the real
size and the output projection costs what it costs in the real model.

Weights are random: every engine must decode a fixed number of tokens (min = max length) so
that each does identical work. Built models are cached under `work_dir/<name>-<config hash>`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

CT2_FILES = ("source.spm", "target.spm", "vocab.json", "tokenizer_config.json")


@dataclass(frozen=True)
class MarianShape:
    """opus-mt base (transformer-base as trained by Marian for Helsinki-NLP)."""

    d_model: int = 512
    layers: int = 6
    heads: int = 8
    ffn: int = 2048
    vocab_size: int = 58101  # <pad> is the last id, as in the hub checkpoints
    spm_vocab: int = 8000


@dataclass(frozen=True)
class NllbShape:
    """NLLB-200-distilled-600M (M2M100 architecture)."""

    d_model: int = 1024
    layers: int = 12
    heads: int = 16
    ffn: int = 4096
    vocab_size: int = 256206
    spm_vocab: int = 8000


MINI_MARIAN = MarianShape(d_model=32, layers=1, heads=2, ffn=64, vocab_size=1201, spm_vocab=300)
MINI_NLLB = NllbShape(d_model=32, layers=1, heads=2, ffn=64, vocab_size=1500, spm_vocab=300)


def _key(kind: str, shape: object, texts: list[list[str]], extra: tuple = ()) -> str:
    digest = hashlib.sha256(json.dumps([kind, asdict(shape), *extra]).encode())
    for lines in texts:
        digest.update(str(len(lines)).encode())
        digest.update("\n".join(lines[:50]).encode())
    return f"{kind}-{digest.hexdigest()[:12]}"


def _train_spm(lines: list[str], prefix: Path, vocab: int, model_type: str = "unigram") -> Path:
    import sentencepiece as spm

    corpus = Path(f"{prefix}.corpus.txt")
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(prefix),
        vocab_size=vocab,
        model_type=model_type,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=2,
        minloglevel=2,
        bos_id=-1 if model_type == "unigram" else 0,
        pad_id=-1 if model_type == "unigram" else 1,
        eos_id=0 if model_type == "unigram" else 2,
        unk_id=1 if model_type == "unigram" else 3,
    )
    corpus.unlink()
    return Path(f"{prefix}.model")


def _pieces(model: Path) -> list[str]:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(model))
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def _finish(tmp: Path, final: Path) -> Path:
    if final.exists():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.rename(final)
    return final


def build_marian(
    work_dir: Path,
    source_lines: list[str],
    target_lines: list[str],
    shape: MarianShape = MarianShape(),
    *,
    seed: int = 0,
    languages: tuple[str, str] = ("az", "en"),
) -> Path:
    """An opus-mt-shaped Marian model dir (hub layout); reused from `work_dir` when present.

    `languages` (source, target) go into tokenizer_config.json, which is where dilmanc reads
    a Marian model's language pair (e.g. ("en", "ru") for the second leg of a pivot)."""
    extra = () if languages == ("az", "en") else (list(languages),)  # old cache keys stay valid
    final = Path(work_dir) / _key("marian", shape, [source_lines, target_lines], extra)
    if (final / "config.json").exists():
        return final
    import torch
    from transformers import MarianConfig, MarianMTModel

    tmp = final.with_name(final.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    src = _train_spm(source_lines, tmp / "source", shape.spm_vocab)
    tgt = _train_spm(target_lines, tmp / "target", shape.spm_vocab)
    src.rename(tmp / "source.spm")
    tgt.rename(tmp / "target.spm")
    for extra in tmp.glob("*.vocab"):
        extra.unlink()

    vocab = {"</s>": 0, "<unk>": 1}
    for piece in _pieces(tmp / "source.spm") + _pieces(tmp / "target.spm"):
        vocab.setdefault(piece, len(vocab))
    pad_id = shape.vocab_size - 1
    if len(vocab) > pad_id:
        raise ValueError(f"vocab_size {shape.vocab_size} is smaller than the spm pieces")
    for i in range(pad_id - len(vocab)):
        vocab[f"<extra_{i}>"] = len(vocab)
    vocab["<pad>"] = pad_id
    (tmp / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (tmp / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "MarianTokenizer",
                "source_lang": languages[0],
                "target_lang": languages[1],
                "model_max_length": 512,
                "separate_vocabs": False,
            }
        ),
        encoding="utf-8",
    )

    config = MarianConfig(
        vocab_size=shape.vocab_size,
        decoder_vocab_size=shape.vocab_size,
        d_model=shape.d_model,
        encoder_layers=shape.layers,
        decoder_layers=shape.layers,
        encoder_attention_heads=shape.heads,
        decoder_attention_heads=shape.heads,
        encoder_ffn_dim=shape.ffn,
        decoder_ffn_dim=shape.ffn,
        activation_function="swish",
        max_position_embeddings=512,
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        tie_word_embeddings=True,
        pad_token_id=pad_id,
        eos_token_id=0,
        decoder_start_token_id=pad_id,
        forced_eos_token_id=0,
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config)
    model.generation_config.bad_words_ids = [[pad_id]]
    model.generation_config.num_beams = 4
    model.save_pretrained(tmp)
    return _finish(tmp, final)


def build_nllb(
    work_dir: Path, lines: list[str], shape: NllbShape = NllbShape(), *, seed: int = 0
) -> Path:
    """An NLLB-200-distilled-600M-shaped M2M100 model dir; reused from `work_dir` when present.

    The tokenizer's BPE vocabulary is a small sentencepiece BPE padded with `madeupwordN`
    entries, so language codes sit where the real ones do (after the first 256,001 ids) and
    every id the random model can emit decodes to something.
    """
    final = Path(work_dir) / _key("nllb", shape, [lines])
    if (final / "config.json").exists():
        return final
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    tmp = final.with_name(final.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "spm").mkdir(parents=True)
    _train_spm(lines, tmp / "spm" / "sentencepiece.bpe", shape.spm_vocab, "bpe")
    converted = NllbTokenizer.from_pretrained(str(tmp / "spm"))
    converted.save_pretrained(str(tmp / "spm"))
    bpe = json.loads((tmp / "spm" / "tokenizer.json").read_text(encoding="utf-8"))["model"]
    vocab = dict(bpe["vocab"])
    base = shape.vocab_size - 205  # 256,001 in the real model: spm pieces + fairseq offset
    for i in range(base - len(vocab)):
        vocab[f"madeupword{i}"] = len(vocab)
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in bpe["merges"]]
    tokenizer = NllbTokenizer(vocab=vocab, merges=merges, src_lang="azj_Latn", tgt_lang="eng_Latn")
    if len(tokenizer) > shape.vocab_size:
        raise ValueError(f"vocab_size {shape.vocab_size} < tokenizer size {len(tokenizer)}")
    shutil.rmtree(tmp / "spm")
    tokenizer.save_pretrained(str(tmp))

    config = M2M100Config(
        vocab_size=shape.vocab_size,
        d_model=shape.d_model,
        encoder_layers=shape.layers,
        decoder_layers=shape.layers,
        encoder_attention_heads=shape.heads,
        decoder_attention_heads=shape.heads,
        encoder_ffn_dim=shape.ffn,
        decoder_ffn_dim=shape.ffn,
        activation_function="relu",
        max_position_embeddings=1024,
        scale_embedding=True,
        tie_word_embeddings=True,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
    )
    torch.manual_seed(seed)
    model = M2M100ForConditionalGeneration(config)
    model.save_pretrained(tmp)
    return _finish(tmp, final)


def convert_ct2(model_dir: Path, quantization: str = "int8") -> Path:
    """CTranslate2 conversion beside the model (`<dir>-ct2-<quantization>`), tokenizer copied."""
    model_dir = Path(model_dir)
    final = model_dir.with_name(f"{model_dir.name}-ct2-{quantization}")
    if (final / "model.bin").exists():
        return final
    import ctranslate2.converters

    copy = [name for name in CT2_FILES if (model_dir / name).exists()]
    copy += [p.name for p in model_dir.glob("tokenizer*.json") if p.name not in copy]
    copy += [p.name for p in model_dir.glob("special_tokens_map.json")]
    copy += [p.name for p in model_dir.glob("sentencepiece*.model")]
    tmp = final.with_name(final.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    converter = ctranslate2.converters.TransformersConverter(str(model_dir), copy_files=copy)
    converter.convert(str(tmp), quantization=quantization, force=True)
    return _finish(tmp, final)
