"""Engine contracts: batching, NLLB/Marian special tokens, presets, loader resolution, caching."""

from __future__ import annotations

import shutil

import pytest
import sentencepiece as spm
from tiny_models import build_marian, install_in_hf_cache

from dilmanc.cli.options import flag
from dilmanc.engines import registry as loader
from dilmanc.engines.base import Engine, available_cores, plan_batches
from dilmanc.engines.registry import load_engine
from dilmanc.errors import EXIT_UNAVAILABLE, ModelUnavailable, SettingError, UsageError
from dilmanc.languages import Language, resolve
from dilmanc.models.presets import DEFAULT_MODEL, PRESETS, find_preset
from dilmanc.models.resolve import parse_model_options, resolve_model

AZ, EN, RU = resolve("az"), resolve("en"), resolve("ru")
TEXTS = [
    "Bakıda insan alverinə qarşı yeni layihə təqdim olunub.",
    "Görüşdə ABŞ Səfirliyinin nümayəndələri də iştirak edib.",
    "",
    "Təlimlər 2023-2024-cü illərdə keçiriləcək.",
]


# --- batching ---------------------------------------------------------------------------------


class EchoEngine(Engine):
    """Pure-python engine: one token per character, output `target:text`; records batches."""

    name = "echo"
    model = "echo"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def supports(self, source: Language, target: Language) -> bool:
        return target.iso != "fa"

    def supported_targets(self) -> list[str]:
        return ["en", "ru"]

    def describe_languages(self) -> str:
        return "az→en,ru"

    def _encode(self, texts, source, target):
        return list(texts)

    def _translate_encoded(self, batch, source, target, *, beam_size, max_length, min_length):
        self.batches.append(list(batch))
        return [f"{target.iso}:{text}" for text in batch]


def test_plan_batches_respects_budget_and_covers_every_index():
    lengths = [5, 40, 3, 17, 17, 90, 1, 8, 25, 60, 2, 33]
    batches = plan_batches(lengths, batch_tokens=100, max_batch_size=4)
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)
    for batch in batches:
        assert len(batch) <= 4
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 100


def test_plan_batches_gives_an_overlong_segment_its_own_batch():
    assert plan_batches([500, 10, 10], batch_tokens=100) == [[0], [1, 2]]


def test_translate_iterable_keeps_input_order_and_token_budget():
    engine = EchoEngine()
    texts = [("x" * n) for n in (30, 5, 12, 44, 1, 0, 19, 7, 26, 3)]
    out = list(engine.translate_iterable(texts, AZ, EN, batch_tokens=60, buffer_size=4))
    assert out == [f"en:{t}" if t else "" for t in texts]
    for batch in engine.batches:
        assert len(batch) == 1 or len(batch) * max(map(len, batch)) <= 60
    assert all(text for batch in engine.batches for text in batch)  # blanks never sent


def test_translate_iterable_streams_with_bounded_buffer():
    engine = EchoEngine()
    read = []

    def source():
        for i in range(100):
            read.append(i)
            yield f"segment {i}"

    stream = engine.translate_iterable(source(), AZ, RU, buffer_size=10)
    first = next(stream)
    assert first == "ru:segment 0"
    assert len(read) <= 10  # only the first buffer was read before the first output
    assert len(list(stream)) == 99


def test_unsupported_pair_is_a_usage_error_naming_what_the_model_does():
    with pytest.raises(UsageError, match="az→en,ru"):
        EchoEngine().translate_batch(["salam"], AZ, resolve("fa"))


def test_threads_default_to_available_cores(tiny_nllb_ct2_dir):
    engine = load_engine(str(tiny_nllb_ct2_dir))
    assert engine.threads == available_cores() >= 1


# --- NLLB ---------------------------------------------------------------------------------------


def _spy(obj, method: str, monkeypatch) -> list[tuple[tuple, dict]]:
    calls: list[tuple[tuple, dict]] = []
    real = getattr(obj, method)

    def wrapper(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, method, wrapper)
    return calls


def _spy_translator(engine, monkeypatch) -> list[tuple[list, list | None, dict, list]]:
    """Record (source tokens, target_prefix, options, first hypotheses) of each CTranslate2
    translate_batch call."""
    calls: list[tuple[list, list | None, dict, list]] = []
    real = engine.translator

    class Recorder:
        def translate_batch(self, source, target_prefix=None, **kwargs):
            results = real.translate_batch(source, target_prefix, **kwargs)
            done = [r.result() for r in results] if kwargs.get("asynchronous") else results
            calls.append((source, target_prefix, kwargs, [r.hypotheses[0] for r in done]))
            return results

    monkeypatch.setattr(engine, "translator", Recorder())
    return calls


@pytest.mark.parametrize("target", [EN, RU])
def test_nllb_transformers_sets_source_language_and_forced_bos(tiny_nllb_dir, target, monkeypatch):
    engine = load_engine(str(tiny_nllb_dir))
    assert (engine.name, engine.architecture) == ("transformers", "nllb")
    tok = engine.codec.tokenizer
    src_lang = tok.src_lang
    calls = _spy(engine.net, "generate", monkeypatch)
    out = engine.translate_batch(TEXTS, AZ, target, beam_size=2, max_length=6)
    assert len(out) == len(TEXTS) and out[2] == ""
    assert all(isinstance(text, str) and text for i, text in enumerate(out) if i != 2)
    (_, kwargs), *_ = calls
    assert kwargs["forced_bos_token_id"] == tok.convert_tokens_to_ids(target.nllb)
    assert kwargs["num_beams"] == 2
    azj = tok.convert_tokens_to_ids("azj_Latn")
    for row, mask in zip(
        kwargs["input_ids"].tolist(), kwargs["attention_mask"].tolist(), strict=True
    ):
        real = [t for t, m in zip(row, mask, strict=True) if m]
        assert real[0] == azj and real[-1] == tok.eos_token_id
    assert tok.src_lang == src_lang  # the source language is never set on the shared tokenizer


@pytest.mark.parametrize("target", [EN, RU])
def test_nllb_ct2_gets_target_prefix_and_strips_it(tiny_nllb_ct2_dir, target, monkeypatch):
    engine = load_engine(str(tiny_nllb_ct2_dir))
    assert (engine.name, engine.architecture) == ("ctranslate2", "nllb")
    assert engine.compute_type == "int8"
    calls = _spy_translator(engine, monkeypatch)
    out = engine.translate_batch(TEXTS, AZ, target, beam_size=2, max_length=6)
    assert len(out) == 4 and out[2] == "" and all(out[i] for i in (0, 1, 3))
    source, prefix, kwargs, hypotheses = calls[0]
    assert len(source) == 3
    assert all(tokens[0] == "azj_Latn" and tokens[-1] == "</s>" for tokens in source)
    assert prefix == [[target.nllb]] * 3
    assert kwargs["beam_size"] == 2
    assert all(h[0] == target.nllb for h in hypotheses)  # CTranslate2 returns the prefix...
    assert not any(target.nllb in text for text in out)  # ...and the engine strips it


def test_ct2_batches_respect_the_token_budget(tiny_nllb_ct2_dir, monkeypatch):
    engine = load_engine(str(tiny_nllb_ct2_dir))
    calls = _spy_translator(engine, monkeypatch)
    texts = [" ".join(["Bakı şəhərində görüş"] * n) for n in (1, 5, 2, 9, 3, 1, 7, 2, 4, 6)]
    out = list(engine.translate_iterable(texts, AZ, EN, batch_tokens=80, max_length=3))
    assert len(out) == 10 and all(out)
    assert sum(len(source) for source, *_ in calls) == 10 and len(calls) > 1
    for source, *_ in calls:
        assert len(source) == 1 or len(source) * max(map(len, source)) <= 80
    assert engine.info() == {
        "model": str(tiny_nllb_ct2_dir),
        "engine": "ctranslate2",
        "architecture": "nllb",
        "directory": str(tiny_nllb_ct2_dir),
        "device": "cpu",
        "compute_type": "int8",
        "threads": available_cores(),
    }


def test_nllb_supports_any_direction_between_flores_codes(tiny_nllb_dir):
    engine = load_engine(str(tiny_nllb_dir))
    assert engine.supports(AZ, RU) and engine.supports(RU, EN)
    assert {"eng_Latn", "rus_Cyrl", "azj_Latn"} <= set(engine.codec.targets)
    assert "en" in engine.supported_targets() and "ru" in engine.supported_targets()
    assert not engine.supports(AZ, Language("xxx_Latn", "xxx_Latn", "nonexistent"))


def test_transformers_and_ct2_agree_on_output_shape(tiny_nllb_dir, tiny_nllb_ct2_dir):
    texts = TEXTS * 5
    a = load_engine(str(tiny_nllb_dir)).translate_batch(texts, AZ, RU, max_length=4)
    b = list(
        load_engine(str(tiny_nllb_ct2_dir)).translate_iterable(
            texts, AZ, RU, batch_tokens=64, max_length=4
        )
    )
    assert len(a) == len(b) == 20
    assert [bool(x) for x in a] == [bool(x) for x in b] == [bool(t) for t in texts]


# --- Marian -------------------------------------------------------------------------------------


def _source_pieces(model_dir, text: str) -> list[str]:
    sp = spm.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
    return sp.encode(text, out_type=str) + ["</s>"]


def test_marian_uses_the_source_spm_on_the_source(tiny_marian_dir, monkeypatch):
    engine = load_engine(str(tiny_marian_dir))
    assert (engine.name, engine.architecture) == ("transformers", "marian")
    assert engine.describe_languages() == "az→en"
    text = "Bakı şəhərində görüş keçirilib"
    ids = engine._encode([text], AZ, EN)[0]
    pieces = engine.codec.tokenizer.convert_ids_to_tokens(ids)
    assert pieces == _source_pieces(tiny_marian_dir, text)
    calls = _spy(engine.net, "generate", monkeypatch)
    out = engine.translate_batch([text, "Yeni layihə."], AZ, EN, max_length=5)
    assert len(out) == 2 and all(out)
    assert "forced_bos_token_id" not in calls[0][1]


def test_marian_ct2_feeds_source_spm_pieces(tiny_marian_ct2_dir, tiny_marian_dir, monkeypatch):
    engine = load_engine(str(tiny_marian_ct2_dir))
    assert (engine.name, engine.architecture) == ("ctranslate2", "marian")
    text = "Bakı şəhərində görüş keçirilib"
    calls = _spy_translator(engine, monkeypatch)
    out = engine.translate_batch([text], AZ, EN, max_length=5)
    assert out[0]
    assert [(source, prefix) for source, prefix, _, _ in calls] == [
        ([_source_pieces(tiny_marian_dir, text)], None)
    ]


def test_marian_single_pair_rejects_other_targets(tiny_marian_dir):
    engine = load_engine(str(tiny_marian_dir))
    assert engine.supports(AZ, EN) and not engine.supports(AZ, RU)
    with pytest.raises(UsageError, match=r"cannot translate az→ru; it supports az→en"):
        engine.translate_batch(["Salam."], AZ, RU)


@pytest.fixture(scope="module")
def multi_target_marian(tmp_path_factory):
    return build_marian(tmp_path_factory.mktemp("mul") / "opus-mt-az-mul", multi_target=True)


def test_multi_target_marian_prepends_the_target_token(multi_target_marian):
    engine = load_engine(str(multi_target_marian))
    assert engine.supports(AZ, RU) and engine.supports(AZ, EN)
    tok = engine.codec.tokenizer
    for target, mark in ((RU, ">>rus<<"), (EN, ">>eng<<")):
        ids = engine._encode(["Salam dünya."], AZ, target)[0]
        assert tok.convert_ids_to_tokens(ids)[0] == mark
    assert engine.translate_batch(["Salam dünya."], AZ, RU, max_length=4)[0]


# --- presets, resolution, caching ---------------------------------------------------------------


def test_presets_resolve_by_name_and_hub_id():
    assert DEFAULT_MODEL == "nllb-200-distilled-600M" and DEFAULT_MODEL in PRESETS
    assert {"nllb-200-distilled-1.3B", "opus-mt-az-en", "opus-mt-en-ru"} <= set(PRESETS)
    assert find_preset("Helsinki-NLP/opus-mt-az-en").name == "opus-mt-az-en"
    assert find_preset("facebook/nllb-200-distilled-600M").architecture == "nllb"
    assert PRESETS["opus-mt-en-ru"].pairs == (("en", "ru"),)
    assert PRESETS["nllb-200-distilled-600M"].licence == "CC-BY-NC-4.0"
    assert find_preset("no-such-model") is None


def test_unknown_model_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown model 'nllb-9000'.*nllb-200-distilled-600M"):
        resolve_model("nllb-9000")


def test_offline_uncached_default_model_is_one_clear_line(tmp_path):
    with pytest.raises(ModelUnavailable) as info:
        load_engine(DEFAULT_MODEL)
    message = str(info.value)
    assert info.value.exit_code == EXIT_UNAVAILABLE == 3
    assert "\n" not in message
    assert "nllb-200-distilled-600M" in message and str(tmp_path / "hf" / "hub") in message
    assert "dilmanc models pull nllb-200-distilled-600M" in message and "--model" not in message
    assert info.value.setting == "model" and info.value.line(flag).endswith("--model PATH")


def test_download_failure_is_the_same_clear_line(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)

    def no_network(repo, quiet=False):
        raise ModelUnavailable(f"cannot download {repo} from the hub into X: ConnectError")

    monkeypatch.setattr("dilmanc.models.hub.download", no_network)
    with pytest.raises(ModelUnavailable, match="cannot be downloaded.*models pull opus-mt-az-en"):
        load_engine("opus-mt-az-en")


def test_preset_from_hf_cache_then_preferring_ct2_conversion(
    tiny_marian_dir, tiny_marian_ct2_dir, tmp_path
):
    install_in_hf_cache(tiny_marian_dir, "Helsinki-NLP/opus-mt-az-en", tmp_path / "hf" / "hub")
    engine = load_engine("opus-mt-az-en")
    assert engine.name == "transformers" and engine.model == "opus-mt-az-en"
    assert engine.describe_languages() == "az→en"
    assert load_engine("Helsinki-NLP/opus-mt-az-en").directory == engine.directory

    shutil.copytree(tiny_marian_ct2_dir, tmp_path / "dilmanc" / "ct2" / "opus-mt-az-en-int8")
    loader.clear_cache()
    assert load_engine("opus-mt-az-en").name == "ctranslate2"
    assert load_engine("opus-mt-az-en", engine="transformers").name == "transformers"
    shutil.move(
        tmp_path / "dilmanc" / "ct2" / "opus-mt-az-en-int8",
        tmp_path / "dilmanc" / "ct2" / "opus-mt-az-en-float16",
    )
    loader.clear_cache()
    assert load_engine("opus-mt-az-en").directory.name == "opus-mt-az-en-float16"


def test_hub_repo_holding_a_ct2_conversion_runs_on_ctranslate2(tiny_nllb_ct2_dir, tmp_path):
    install_in_hf_cache(tiny_nllb_ct2_dir, "someone/nllb-tiny-ct2", tmp_path / "hf" / "hub")
    engine = load_engine("someone/nllb-tiny-ct2")
    assert engine.name == "ctranslate2" and engine.model == "someone/nllb-tiny-ct2"
    with pytest.raises(UsageError, match="is a CTranslate2 model"):
        load_engine("someone/nllb-tiny-ct2", engine="transformers")


def test_engine_override_converts_a_hf_directory_once(tiny_nllb_dir, tmp_path):
    engine = load_engine(str(tiny_nllb_dir), engine="ctranslate2")
    assert engine.name == "ctranslate2"
    assert (engine.directory / "model.bin").is_file()
    assert engine.directory.is_relative_to(tmp_path / "dilmanc" / "ct2")
    assert (engine.directory / "sentencepiece.bpe.model").is_file()
    assert engine.translate_batch(["Salam."], AZ, EN, max_length=3)[0]
    stamp = (engine.directory / "model.bin").stat().st_mtime_ns
    loader.clear_cache()
    again = load_engine(str(tiny_nllb_dir), engine="ct2")
    assert again.directory == engine.directory  # the conversion is reused, not redone
    assert (again.directory / "model.bin").stat().st_mtime_ns == stamp


def test_ct2_directory_is_detected_and_transformers_override_refused(tiny_nllb_ct2_dir):
    assert resolve_model(str(tiny_nllb_ct2_dir)).engine == "ctranslate2"
    with pytest.raises(UsageError, match="CTranslate2 conversion"):
        resolve_model(str(tiny_nllb_ct2_dir), engine="transformers")
    with pytest.raises(SettingError, match="engine 'onnx' is unknown") as refused:
        load_engine(str(tiny_nllb_ct2_dir), engine="onnx")
    assert refused.value.setting == "engine"


def test_engines_are_loaded_once_per_directory(tiny_nllb_dir):
    first = load_engine(str(tiny_nllb_dir))
    assert load_engine(str(tiny_nllb_dir)) is first
    assert load_engine(str(tiny_nllb_dir) + "/") is first
    assert load_engine(str(tiny_nllb_dir), threads=1) is not first


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda d: None, "not a model directory"),
        (lambda d: (d / "config.json").write_text("{}"), "no weights"),
        (
            lambda d: [
                (d / "config.json").write_text("{"),
                (d / "model.safetensors").write_text("x"),
            ],
            "cannot",
        ),
        (lambda d: (d / "model.bin").write_bytes(b"garbage"), "cannot"),
        (
            lambda d: [
                (d / "config.json").write_text('{"model_type": "m2m_100"}'),
                (d / "tokenizer_config.json").write_text('{"tokenizer_class": "M2M100Tokenizer"}'),
                (d / "model.safetensors").write_text("x"),
            ],
            "M2M100 models .* not supported",
        ),
    ],
)
def test_broken_directory_is_model_unavailable(tmp_path, make, match):
    broken = tmp_path / "broken"
    broken.mkdir()
    make(broken)
    with pytest.raises(ModelUnavailable, match=match) as info:
        load_engine(str(broken))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "victim, match",
    [
        ("source.spm", r"source.spm is not a readable sentencepiece model \(truncated or corrupt"),
        ("model.safetensors", "cannot load the model"),
    ],
)
def test_corrupted_file_in_a_real_layout_is_one_line(tiny_marian_dir, tmp_path, victim, match):
    copy = shutil.copytree(tiny_marian_dir, tmp_path / "opus-mt-az-en-copy")
    (copy / victim).write_bytes(b"\x00 not what it should be")
    with pytest.raises(ModelUnavailable, match=match) as info:
        load_engine(str(copy))
    assert "\n" not in str(info.value)


def test_missing_directory_is_model_unavailable(tmp_path):
    with pytest.raises(ModelUnavailable, match="no such model directory"):
        load_engine(str(tmp_path / "nope"))


@pytest.mark.parametrize("which", ["tiny_nllb_dir", "tiny_nllb_ct2_dir"])
def test_cuda_request_without_cuda_is_a_clear_error(which, request):
    import ctranslate2
    import torch

    if torch.cuda.is_available() or ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("a CUDA device is present")
    with pytest.raises(ModelUnavailable, match="^device cuda: .* no CUDA device") as info:
        load_engine(str(request.getfixturevalue(which)), device="cuda")
    line = info.value.line(flag)  # the CLI names its flag; the core names none
    assert line.startswith("--device cuda: ") and line.endswith("; use --device cpu")
    with pytest.raises(UsageError, match="unknown device"):
        load_engine(str(request.getfixturevalue(which)), device="tpu")


# --- --model parsing ----------------------------------------------------------------------------


def test_parse_model_options_default_plain_and_per_language():
    assert parse_model_options([], [EN, RU]) == {"en": DEFAULT_MODEL, "ru": DEFAULT_MODEL}
    assert parse_model_options(["opus-mt-az-en"], [EN]) == {"en": "opus-mt-az-en"}
    got = parse_model_options(["en=opus-mt-az-en", "ru=nllb-200-distilled-1.3B"], [EN, RU])
    assert got == {"en": "opus-mt-az-en", "ru": "nllb-200-distilled-1.3B"}
    got = parse_model_options(["eng=/models/marian", "nllb-200-distilled-1.3B"], [EN, RU])
    assert got == {"en": "/models/marian", "ru": "nllb-200-distilled-1.3B"}


@pytest.mark.parametrize(
    "values, match",
    [
        (["de=opus-mt-az-en"], "not a target"),
        (["xx=opus-mt-az-en"], "unknown language"),
        (["en="], "no model"),
        (["en=a", "en=b"], "twice for en"),
        (["a", "b"], "twice"),
    ],
)
def test_parse_model_options_errors(values, match):
    with pytest.raises(UsageError, match=match):
        parse_model_options(values, [EN, RU])


def test_engines_are_registered_by_name_and_the_cli_names_its_option(cli, tiny_marian_dir):
    from dilmanc.engines.ctranslate2 import CT2Engine
    from dilmanc.engines.registry import ENGINES, engine_class, normalize_engine

    assert engine_class("ctranslate2") is CT2Engine
    assert {normalize_engine(name) for name in ENGINES} == set(ENGINES)
    assert normalize_engine("CT2") == "ctranslate2" and normalize_engine("auto") is None
    for command in ("serve", "translate"):
        result = cli([command, "--model", tiny_marian_dir, "--engine", "onnx"], stdin="Salam.")
        assert result.code == 2
        assert result.err.strip().splitlines() == [
            "dilmanc: error: --engine 'onnx' is unknown (choose transformers or ctranslate2)"
        ]
