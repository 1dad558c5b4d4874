"""The CTranslate2 codec (sentencepiece + vocabulary files, no transformers) against the Hugging
Face tokenizers it replaces, on real-layout tiny models; tokenizer-file errors; thread safety;
and that the CTranslate2 CLI path never imports torch or transformers."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tiny_models import ALPHABETS, AZ_WORDS, EN_WORDS, RU_WORDS, build_marian, sentences

from dilmanc.engines.registry import load_engine
from dilmanc.engines.spm_codec import SpmCodec
from dilmanc.engines.tokenization import ModelTokenizer
from dilmanc.errors import ModelUnavailable
from dilmanc.languages import resolve

ROOT = Path(__file__).resolve().parents[1]
AZ, EN, RU = resolve("az"), resolve("en"), resolve("ru")

# Our own text: generated sentences from the builders' word lists, plus edge cases.
EDGE_TEXTS = [
    "Bakı şəhərində görüş keçirilib.",
    "Ölkə 2024-cü ildə 17,5% artım göstərib; ABŞ və Aİ də iştirak edib!",
    "Москва и Баку подписали соглашение.",
    "iki  boşluq\tvə\tnişan\nyeni sətir",
    "qeyri-adi simvollar: 😀 ✓ 中文 ♞",
    "ﬁnal ① ｆｕｌｌ width №5 «dırnaq» “quote” — tire",
    "a\u00a0b\u2009c",
    "Sözün sonunda nöqtə…",
    "x",
]
# Texts both codecs treat identically and where the raw tokenizers differ only by design:
# edge whitespace (stripped by dilmanc, sentencepiece's own behaviour), spelled-out special
# tokens (text, never control tokens, in dilmanc).
DESIGN_TEXTS = [
    "  boşluqlar  ",
    "sonda boşluq ",
    "sıfır eni\u200b",
    "\ufeffBOM ilə",
    "</s> mətn içində",
    "eng_Latn və rus_Cyrl sözləri",
    "<unk> <pad> <s>",
]


def _texts() -> list[str]:
    return sentences(AZ_WORDS + EN_WORDS + RU_WORDS, 120, seed=11) + EDGE_TEXTS


def _random_strings(n: int, seed: int) -> list[str]:
    """Random character soup over the three alphabets and some unknown characters (no
    combining marks: the tokenizers library and sentencepiece normalize a mark that follows
    a space or a ligature differently)."""
    rng = random.Random(seed)
    chars = ALPHABETS + "😀✓中文ﬁ①ｆ\u00a0\u2009\t\n…№"
    return ["".join(rng.choice(chars) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def _hf_nllb(model_dir: Path, src_lang: str):
    from transformers import NllbTokenizer

    tok = NllbTokenizer.from_pretrained(str(model_dir))
    tok.src_lang = src_lang  # a private instance: the reference behaviour
    return tok


def _hf_tokens(tok, texts: list[str], prefix: str = "", **kwargs) -> list[list[str]]:
    ids = tok([prefix + text.strip() for text in texts], **kwargs)["input_ids"]
    return [tok.convert_ids_to_tokens(row) for row in ids]


@pytest.fixture(scope="module")
def multi_marian_dirs(tmp_path_factory):
    from dilmanc.models.convert import convert_to_ct2

    hf = build_marian(tmp_path_factory.mktemp("mul") / "opus-mt-az-mul", multi_target=True)
    return hf, convert_to_ct2(hf, tmp_path_factory.mktemp("mul-ct2") / "mul-int8")


# --- encoding ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [AZ, RU])
def test_nllb_codec_gives_the_tokens_nllb_tokenizer_gives(tiny_nllb_dir, tiny_nllb_ct2_dir, source):
    texts = _texts() + _random_strings(200, seed=3)
    expected = _hf_tokens(_hf_nllb(tiny_nllb_dir, source.nllb), texts)
    assert all(row[0] == source.nllb and row[-1] == "</s>" for row in expected)
    for directory in (tiny_nllb_ct2_dir, tiny_nllb_dir):  # CTranslate2 copy and hub layout
        codec = SpmCodec.load(directory)
        assert codec.encode_tokens(texts, source, EN) == expected
    assert any("<unk>" in row for row in expected)  # unknown characters were exercised


def test_marian_codec_gives_the_tokens_marian_tokenizer_gives(tiny_marian_dir, tiny_marian_ct2_dir):
    from transformers import MarianTokenizer

    texts = _texts() + _random_strings(200, seed=4)
    expected = _hf_tokens(MarianTokenizer.from_pretrained(str(tiny_marian_dir)), texts)
    for directory in (tiny_marian_ct2_dir, tiny_marian_dir):
        assert SpmCodec.load(directory).encode_tokens(texts, AZ, EN) == expected
    assert any("<unk>" in row for row in expected)  # pieces outside vocab.json → <unk>


def test_multi_target_marian_codec_prefixes_the_target_token(multi_marian_dirs):
    from transformers import MarianTokenizer

    hf_dir, ct2_dir = multi_marian_dirs
    tok = MarianTokenizer.from_pretrained(str(hf_dir))
    codec = SpmCodec.load(ct2_dir)
    texts = _texts()
    for target, mark in ((RU, ">>rus<<"), (EN, ">>eng<<")):
        expected = _hf_tokens(tok, texts, prefix=f"{mark} ")
        assert all(row[0] == mark for row in expected)
        assert codec.encode_tokens(texts, AZ, target) == expected


def test_truncation_keeps_the_special_tokens(tiny_nllb_dir, tiny_marian_dir, multi_marian_dirs):
    from transformers import MarianTokenizer

    long = [" ".join(sentences(AZ_WORDS, 120, seed=5))]
    cases = [
        (_hf_nllb(tiny_nllb_dir, AZ.nllb), tiny_nllb_dir, EN, ""),
        (MarianTokenizer.from_pretrained(str(tiny_marian_dir)), tiny_marian_dir, EN, ""),
        (MarianTokenizer.from_pretrained(str(multi_marian_dirs[0])), multi_marian_dirs[1], RU,
         ">>rus<< "),
    ]  # fmt: skip
    for tok, directory, target, prefix in cases:
        codec = SpmCodec.load(directory)
        assert codec.max_source_tokens == 512
        expected = _hf_tokens(tok, long, prefix, truncation=True, max_length=512)
        got = codec.encode_tokens(long, AZ, target)
        assert got == expected and len(got[0]) == 512 and got[0][-1] == "</s>"


def test_both_codecs_agree_on_every_input(tiny_nllb_dir, tiny_marian_dir, multi_marian_dirs):
    """The transformers engine's tokenizer and the CTranslate2 codec give the same tokens,
    including edge whitespace and spelled-out special tokens (kept as text by both)."""
    texts = _texts() + DESIGN_TEXTS
    for directory, target in (
        (tiny_nllb_dir, EN),
        (tiny_marian_dir, EN),
        (multi_marian_dirs[0], RU),
    ):
        hf, codec = ModelTokenizer.load(directory), SpmCodec.load(directory)
        assert codec.encode_tokens(texts, AZ, target) == hf.encode_tokens(texts, AZ, target)
        assert (codec.describe(), codec.supported_targets()) == (
            hf.describe(),
            hf.supported_targets(),
        )
    nllb = SpmCodec.load(tiny_nllb_dir).encode_tokens(["</s> eng_Latn"], AZ, EN)[0]
    assert nllb.count("</s>") == 1 and "eng_Latn" not in nllb


def test_languages_come_from_the_vocabulary_files(tiny_nllb_ct2_dir, tiny_marian_ct2_dir):
    nllb = SpmCodec.load(tiny_nllb_ct2_dir)
    assert {"azj_Latn", "eng_Latn", "rus_Cyrl"} <= nllb.targets and len(nllb.targets) == 202
    assert nllb.supports(AZ, RU) and nllb.target_token(RU) == "rus_Cyrl"
    marian = SpmCodec.load(tiny_marian_ct2_dir)
    assert marian.describe() == "az→en" and not marian.supports(AZ, RU)


# --- decoding ---------------------------------------------------------------------------------


def _random_sequences(tokens: list[str], n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [[rng.choice(tokens) for _ in range(rng.randint(0, 30))] for _ in range(n)]


def test_decoding_matches_batch_decode(tiny_nllb_dir, tiny_nllb_ct2_dir, tiny_marian_dir):
    from transformers import MarianTokenizer

    cases = [
        (_hf_nllb(tiny_nllb_dir, AZ.nllb), SpmCodec.load(tiny_nllb_ct2_dir)),
        (MarianTokenizer.from_pretrained(str(tiny_marian_dir)), SpmCodec.load(tiny_marian_dir)),
    ]
    for tok, codec in cases:
        vocab = tok.get_vocab()
        sequences = _random_sequences(sorted(vocab), 400, seed=7) + [[]]
        if codec.architecture == "nllb":
            sequences.append(["eng_Latn", "▁Bak", "ı", "<unk>", "▁", "▁g", "</s>", "<pad>"])
        expected = [
            text.strip()
            for text in tok.batch_decode(
                [[vocab.get(t, vocab["<unk>"]) for t in seq] for seq in sequences],
                skip_special_tokens=True,
                clean_up_tokenization_spaces=False,
            )
        ]
        assert codec.decode_tokens(sequences) == expected


def test_decoding_real_ct2_output(tiny_nllb_ct2_dir, tiny_nllb_dir):
    engine = load_engine(str(tiny_nllb_ct2_dir))
    hf = ModelTokenizer.load(tiny_nllb_dir)
    batch = engine.codec.encode_tokens(_texts()[:8], AZ, RU)
    results = engine.translator.translate_batch(
        batch, target_prefix=[["rus_Cyrl"]] * len(batch), beam_size=2, max_decoding_length=12
    )
    hypotheses = [r.hypotheses[0] for r in results]
    assert engine.codec.decode_tokens(hypotheses) == hf.decode_tokens(hypotheses)
    ids = engine.codec.encode_ids(["Bakı"], AZ, RU)[0]
    assert engine.codec.decode_ids([ids]) == engine.codec.decode_tokens(
        engine.codec.encode_tokens(["Bakı"], AZ, RU)
    )


@pytest.fixture(scope="module")
def byte_fallback_dir(tmp_path_factory) -> Path:
    """Codec files of a Marian model with one shared byte-fallback spm (identity normalization),
    the layout of a copy model: source.spm = target.spm, vocab.json of its pieces."""
    import io

    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences(AZ_WORDS, 400, seed=9)),
        model_writer=buffer,
        vocab_size=600,  # 256 byte pieces + the Azerbaijani word pieces
        model_type="unigram",
        byte_fallback=True,
        normalization_rule_name="identity",
        character_coverage=1.0,
        hard_vocab_limit=False,
        bos_id=-1,
        eos_id=1,
        unk_id=2,
        pad_id=-1,
        minloglevel=2,
        num_threads=1,
    )
    out = tmp_path_factory.mktemp("bytes") / "opus-mt-az-az-copy"
    out.mkdir()
    (out / "source.spm").write_bytes(buffer.getvalue())
    (out / "target.spm").write_bytes(buffer.getvalue())
    sp = spm.SentencePieceProcessor(model_proto=buffer.getvalue())
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(sp.get_piece_size()):
        vocab.setdefault(sp.id_to_piece(i), len(vocab))
    vocab["<pad>"] = len(vocab)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (out / "tokenizer_config.json").write_text('{"source_lang": "az", "target_lang": "az"}')
    return out


def test_byte_fallback_pieces_decode_to_their_characters(byte_fallback_dir):
    from transformers import MarianTokenizer

    codec = SpmCodec.load(byte_fallback_dir)
    texts = ["Qiymət 5 € oldu ✓", "Şəkil: 😀 və ♞", "ölkə"]
    tokens = codec.encode_tokens(texts, AZ, AZ)
    assert "<0xE2>" in tokens[0] and "<unk>" not in sum(tokens, [])
    assert codec.decode_tokens(tokens) == texts
    tok = MarianTokenizer.from_pretrained(str(byte_fallback_dir))
    assert tokens == _hf_tokens(tok, texts)
    vocab = tok.get_vocab()
    ids = [[vocab[t] for t in row] for row in tokens]
    assert tok.batch_decode(ids, skip_special_tokens=True) == texts


# --- thread safety ----------------------------------------------------------------------------


def test_concurrent_encoding_in_different_languages(tiny_nllb_dir, tiny_nllb_ct2_dir):
    texts = _texts()[:20]
    sources = [AZ, RU, EN, resolve("tr")]
    for codec in (SpmCodec.load(tiny_nllb_ct2_dir), ModelTokenizer.load(tiny_nllb_dir)):
        expected = {s.nllb: codec.encode_tokens(texts, s, EN) for s in sources}
        jobs = [sources[i % len(sources)] for i in range(200)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda s, c=codec: (s, c.encode_tokens(texts, s, EN)), jobs))
        for source, tokens in results:
            assert tokens == expected[source.nllb]


# --- tokenizer files: missing or broken -------------------------------------------------------


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


BROKEN = {
    "nllb-no-tokenizer": (
        ["tokenizer.json", "sentencepiece.bpe.model"],
        None,
        "sentencepiece.bpe.model is missing",
    ),
    "nllb-no-tokenizer-files-at-all": (
        ["tokenizer.json", "sentencepiece.bpe.model", "tokenizer_config.json"],
        None,
        "sentencepiece.bpe.model is missing",
    ),
    "nllb-truncated-spm": (
        [],
        "sentencepiece.bpe.model",
        "sentencepiece.bpe.model is not a readable sentencepiece model (truncated or corrupt",
    ),
    "marian-no-source-spm": (["source.spm"], None, "source.spm is missing"),
    "marian-no-vocab": (["vocab.json", "shared_vocabulary.json"], None, "vocab.json is missing"),
    "marian-truncated-target-spm": (
        [],
        "target.spm",
        "target.spm is not a readable sentencepiece model",
    ),
}


@pytest.mark.parametrize("engine_dir", ["hf", "ct2"])
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_tokenizer_files_are_one_line_exit_3(case, engine_dir, request, tmp_path, cli):
    removed, truncated, message = BROKEN[case]
    arch = case.split("-")[0]
    fixture = f"tiny_{arch}_{'ct2_' if engine_dir == 'ct2' else ''}dir"
    model = shutil.copytree(request.getfixturevalue(fixture), tmp_path / f"{arch}-copy")
    for name in removed:
        (model / name).unlink(missing_ok=True)
    if truncated:
        _truncate(model / truncated)
    result = cli(["translate", "--model", model, "--to", "en", "-q"], stdin="Salam dünya.\n")
    assert result.code == 3, result.err
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dilmanc: error: "), result.err
    assert message in lines[0] and str(model) in lines[0]
    assert "tiktoken" not in lines[0] and "NoneType" not in lines[0]


def test_corrupt_vocab_json_is_named(tiny_marian_dir, tmp_path):
    model = shutil.copytree(tiny_marian_dir, tmp_path / "marian")
    (model / "vocab.json").write_text('{"</s>": 0, "<unk>"', encoding="utf-8")
    for load in (SpmCodec.load, ModelTokenizer.load):
        with pytest.raises(ModelUnavailable, match=r"vocab.json is not valid JSON \(line 1"):
            load(model)


def test_unrecognisable_directory_names_the_expected_files(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(ModelUnavailable, match="source.spm.*sentencepiece.bpe.model"):
        SpmCodec.load(tmp_path)


# --- import discipline ------------------------------------------------------------------------

HEAVY = ("torch", "transformers", "sacrebleu", "pymorphy3", "matplotlib", "huggingface_hub")


@pytest.mark.parametrize("fixture", ["tiny_nllb_ct2_dir", "tiny_marian_ct2_dir"])
def test_ct2_cli_path_imports_neither_torch_nor_transformers(fixture, request, tmp_path):
    model = request.getfixturevalue(fixture)
    code = textwrap.dedent(
        f"""
        import io, sys
        sys.stdin = io.TextIOWrapper(io.BytesIO("Bakıda görüş.\\n".encode()), encoding="utf-8")
        from dilmanc.cli import main
        code = main(["translate", "--model", {str(model)!r}, "--to", "en", "-q",
                     "--max-length", "4"])
        assert code == 0, code
        heavy = [name for name in {HEAVY!r} if name in sys.modules]
        assert not heavy, heavy
        """
    )
    env = {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)}
    env["DILMANC_HOME"] = str(tmp_path / "dilmanc")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()  # one translated line


def test_convert_refuses_a_model_without_its_tokenizer(tiny_nllb_dir, tmp_path, cli):
    model = shutil.copytree(tiny_nllb_dir, tmp_path / "nllb-copy")
    (model / "sentencepiece.bpe.model").unlink()  # tokenizer.json alone cannot feed CT2
    out = tmp_path / "nllb-ct2"
    result = cli(["models", "convert", model, "--output", out])
    assert result.code == 3 and "sentencepiece.bpe.model is missing" in result.err
    assert len(result.err.strip().splitlines()) == 1 and not out.exists()
