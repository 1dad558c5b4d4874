"""Vocabulary maps (`dilmanc.engines.vmap`, `--vmap`) and the engine threads layout."""

from __future__ import annotations

import shutil

import pytest
from test_copy_model import OWN

from dilmanc.engines.base import DecodeOptions, thread_layout
from dilmanc.engines.registry import clear_cache, load_engine
from dilmanc.engines.vmap import VMAP_FILE, build_language_tokens, write_vmap
from dilmanc.errors import SettingError
from dilmanc.languages import resolve

AZ, EN, RU = resolve("az"), resolve("en"), resolve("ru")
RU_CORPUS = ["Это простой текст.", "Мы пишем письмо другу."]


@pytest.fixture(autouse=True)
def fresh_engines():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def nllb_copy(tiny_nllb_ct2_dir, tmp_path):
    return shutil.copytree(tiny_nllb_ct2_dir, tmp_path / "nllb")


@pytest.fixture
def copy_model(copy_marian_ct2_dir, tmp_path):
    return shutil.copytree(copy_marian_ct2_dir, tmp_path / "copy")


def _vmap_lines(directory):
    lines = (directory / VMAP_FILE).read_text(encoding="utf-8").split("\n")[:-1]
    return {key: values.split(" ") for key, values in (line.split("\t") for line in lines)}


# --- threads layout ---------------------------------------------------------------------------
def test_thread_layout_fits_the_cores_and_follows_the_work():
    assert thread_layout(3, "batch", cores=16) == (1, 3)  # --threads: one translator that wide
    assert thread_layout(0, "single", cores=2) == (1, 2)
    assert thread_layout(0, "batch", cores=2) == (2, 1)
    assert thread_layout(0, "batch", cores=16) == (4, 4)
    for cores in range(1, 65):
        for work in ("single", "batch"):
            inter, intra = thread_layout(0, work, cores=cores)
            assert 1 <= inter * intra <= cores


def test_engine_uses_the_layout(copy_marian_ct2_dir):
    single = load_engine(str(copy_marian_ct2_dir), workload="single", threads=0)
    batch = load_engine(str(copy_marian_ct2_dir), workload="batch", threads=0)
    assert single is not batch
    assert single.inter_threads == 1 and single.translator.num_translators == 1
    expected = thread_layout(0, "batch")[0]
    assert batch.translator.num_translators == expected
    lines = list(OWN) * 8
    options = DecodeOptions(batch_tokens=64)  # several batches, decoded side by side
    assert [r.text for r in batch.translate_results(lines, AZ, EN, options)] == [
        r.text for r in single.translate_results(lines, AZ, EN, options)
    ]
    with pytest.raises(SettingError):
        load_engine(str(copy_marian_ct2_dir), workload="many")


# --- the vmap builder -------------------------------------------------------------------------
def test_builder_writes_corpus_tokens_and_every_source_piece(nllb_copy):
    engine = load_engine(str(nllb_copy))
    path = build_language_tokens(nllb_copy, RU, RU_CORPUS)
    assert path == nllb_copy / VMAP_FILE
    rules = _vmap_lines(nllb_copy)
    wanted = {p for line in RU_CORPUS for p in engine.codec.target_pieces(line)}
    assert wanted and wanted <= set(rules[""])
    assert (nllb_copy / "vmap.ru.tokens").is_file()
    pieces = engine.codec.encode_tokens(["Bakı 2024"], AZ, EN)[0][1:-1]
    assert all(rules[p] == [p] for p in pieces)  # source pieces can always be copied
    assert "rus_Cyrl" not in rules and "azj_Latn" not in rules  # language codes are not
    # a second language adds to the always-allowed tokens
    build_language_tokens(nllb_copy, EN, ["A plain text."])
    both = _vmap_lines(nllb_copy)[""]
    assert wanted <= set(both) and set(engine.codec.target_pieces("A plain text.")) <= set(both)


def test_models_vmap_command(cli, nllb_copy, tmp_path):
    corpus = tmp_path / "ru.txt"
    corpus.write_text("\n".join(RU_CORPUS) + "\n", encoding="utf-8")
    result = cli(
        ["models", "vmap", "--lang", "ru", "--corpus", str(corpus), "--model", str(nllb_copy)]
    )
    assert result.code == 0, result.err
    assert (nllb_copy / VMAP_FILE).is_file()
    missing = cli(["models", "vmap", "--lang", "ru", "--corpus", str(tmp_path / "no.txt"),
                   "--model", str(nllb_copy)])  # fmt: skip
    assert missing.code == 2 and "Traceback" not in missing.err


# --- the engine option --------------------------------------------------------------------------
def test_vmap_restricts_the_output_vocabulary(nllb_copy):
    plain = load_engine(str(nllb_copy))
    source = ["Bakı şəhəri böyükdür.", "Biz məktub yazırıq.", "Yeni il", "Salam dünya"]
    # always allowed: one corpus piece only; the rest must come from the source pieces
    (nllb_copy / "vmap.ru.tokens").write_text("▁мы\n", encoding="utf-8")
    write_vmap(nllb_copy)
    options = DecodeOptions(beam_size=8, max_length=24, min_length=24, num_hypotheses=8)
    restricted = load_engine(str(nllb_copy), vmap="auto")
    assert restricted.vmap and plain.vmap is None
    allowed = {"▁мы", "</s>", "<unk>", "<s>"}
    allowed |= set().union(*(set(plain.codec.encode_tokens([t], AZ, RU)[0]) for t in source))

    def outside(engine) -> set[str]:
        results = engine.translate_results(source, AZ, RU, options, batch_all=True)
        pieces = engine.codec.target_pieces
        return {t for r in results for h in r.hypotheses for t in pieces(h.text)} - allowed

    # CTranslate2 pads the candidates of a batch to a multiple of 16 with other ids
    few, many = outside(restricted), outside(plain)  # (texts re-tokenized: merges count too)
    assert len(few) < 16
    assert len(many) > 2 * len(few)  # without the map the random model writes many others


def test_copy_model_output_unchanged_with_a_vmap_file(copy_model, tmp_path):
    """A vmap holding every token of the input (here: each source piece → itself), kept
    outside the model directory, changes nothing the copy model writes (best output and its
    tokens, attention, suppressed renderings)."""
    write_vmap(copy_model)
    outside = tmp_path / "my.vmap"
    shutil.move(copy_model / VMAP_FILE, outside)
    plain = load_engine(str(copy_model))
    mapped = load_engine(str(copy_model), vmap=str(outside))
    assert mapped.vmap and str(outside) in mapped.vmap and not (copy_model / VMAP_FILE).exists()
    # the lines the model copies exactly: every output piece is in the map, so nothing changes
    lines = [line for line in OWN if plain.translate_batch([line], AZ, EN) == [line]]
    assert len(lines) >= len(OWN) - 1
    assert mapped.translate_batch(lines, AZ, EN) == lines
    nbest = DecodeOptions(num_hypotheses=3)
    a = plain.translate_results(lines, AZ, EN, nbest, return_attention=True)
    b = mapped.translate_results(lines, AZ, EN, nbest, return_attention=True)
    assert [r.text for r in a] == [r.text for r in b]
    # n-best still works (lower hypotheses that need pieces outside the map may differ, and
    # scores are normalised over the smaller vocabulary)
    assert [len(r.hypotheses) for r in b] == [3] * len(lines)
    assert [r.tokens for r in a] == [r.tokens for r in b]

    def aligned(results):  # the source piece each output piece attends to most
        return [[row.index(max(row)) for row in r.attention] for r in results]

    assert aligned(a) == aligned(b)
    # a glossary's forbidden rendering is avoided with the pieces the map allows: the
    # alternative the plain model finds needs pieces of the target-language corpus
    line, forbidden = lines[0], ["Təşkilatı"]
    (plain_alt,) = plain.iter_results([line], AZ, EN, suppress=forbidden)
    assert plain_alt.text != line
    build_language_tokens(copy_model, EN, [plain_alt.text])
    clear_cache()
    with_corpus = load_engine(str(copy_model), vmap="auto")
    (alt,) = with_corpus.iter_results([line], AZ, EN, suppress=forbidden)
    assert alt.text == plain_alt.text


def test_vmap_setting_errors(copy_model, cli, tmp_path):
    assert load_engine(str(copy_model), vmap="auto").vmap is None  # no vmap.txt: off
    with pytest.raises(SettingError):
        load_engine(str(copy_model), vmap=str(tmp_path / "none.txt"))
    result = cli(["translate", "--model", str(copy_model), "--vmap", str(tmp_path / "x")], "Salam")
    assert result.code == 2 and "--vmap" in result.err and "Traceback" not in result.err


def test_translate_with_vmap_auto_matches_off(copy_model, cli):
    write_vmap(copy_model)
    text = "\n".join(OWN) + "\n"
    off = cli(["translate", "--model", str(copy_model), "--no-cache", "--no-tm", "-q"], text)
    on = cli(["translate", "--model", str(copy_model), "--no-cache", "--no-tm", "-q",
              "--vmap", "auto"], text)  # fmt: skip
    assert on.code == off.code == 0, on.err
    assert on.out == off.out
