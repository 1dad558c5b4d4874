"""`dilmanc translate` end to end: tiny real-layout models on the seed, stdin/stdout, failures.

Most option and failure tests swap the model loader for the dictionary double (instant);
a few run the tiny NLLB / Marian models and their CTranslate2 conversions through the real
loader, with short outputs so they stay fast.
"""

from __future__ import annotations

import json

import pytest
from doubles import DictEngine

from dilmanc.text.segment import split_paragraphs

# The seed ends with an English web-boilerplate line; a word of it identifies that paragraph.
BOILERPLATE_WORD = "Javascript"
FAST = ["--max-length", "6", "--beam", "1", "--quiet"]


@pytest.fixture
def isolated(tmp_path):
    """The test's directory; conftest keeps it offline with empty model caches, so only
    explicit directories can load."""
    return tmp_path


@pytest.fixture
def double(monkeypatch):
    """Every --model loads one DictEngine (az→en, ru); yields it to inspect calls."""
    engine = DictEngine({"Salam.": "Hello."})
    specs: list[str] = []

    def load_engine(spec, **kwargs):
        specs.append(spec)
        engine.model = spec
        return engine

    monkeypatch.setattr("dilmanc.engines.registry.load_engine", load_engine)
    engine.specs = specs
    return engine


def paragraphs(path) -> list[str]:
    return split_paragraphs(path.read_text(encoding="utf-8"))


def no_files_left(directory) -> bool:
    return not directory.exists() or not any(directory.iterdir())


# --- tiny real models ---------------------------------------------------------------------------


def test_seed_to_english_and_russian_with_tiny_nllb(cli, seed_path, tiny_nllb_dir, isolated):
    out = isolated / "out"
    report = isolated / "report.json"
    args = [seed_path, "--to", "en,ru", "--model", tiny_nllb_dir, "--out-dir", out]
    res = cli(["translate", *args, *FAST, "--report", report])
    assert res.code == 0, res.err
    assert res.out == ""
    source = paragraphs(seed_path)
    stem = seed_path.name.removesuffix(".az.txt")
    for iso in ("en", "ru"):
        translated = paragraphs(out / f"{stem}.{iso}.txt")
        assert len(translated) == len(source) == 10
        assert translated[-1] == source[-1] and BOILERPLATE_WORD in translated[-1]
        assert translated[0].startswith(" date 2022-07 ")
        assert translated[1] != source[1]
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}.en.txt", f"{stem}.ru.txt"]
    record = json.loads(report.read_text(encoding="utf-8"))
    assert record["languages"] == {"source": "az", "targets": ["en", "ru"]}
    assert record["engine"] == {"en": "transformers", "ru": "transformers"}
    assert record["segments"]["total"] == 13 and record["segments"]["translated"] == 26
    assert record["options"]["max_length"] == 6
    assert set(record["seconds"]) >= {"segment", "glossary", "engine", "write", "load", "total"}


def test_marian_for_english_by_lang_equals_model(cli, seed_path, tiny_marian_dir, isolated):
    out = isolated / "out"
    args = [seed_path, "--model", f"en={tiny_marian_dir}", "--out-dir", out, *FAST]
    res = cli(["translate", *args])
    assert res.code == 0, res.err
    written = out / seed_path.name.replace(".az.", ".en.")
    assert len(paragraphs(written)) == 10
    assert paragraphs(written)[-1] == paragraphs(seed_path)[-1]
    assert BOILERPLATE_WORD in paragraphs(written)[-1]


def test_ctranslate2_dirs_from_stdin_to_stdout(
    cli, tiny_nllb_ct2_dir, tiny_marian_ct2_dir, isolated
):
    text = "Bu gün görüş oldu. BMqT-nin işi yaxşıdır.\n\nhttps://example.org\n"
    report = isolated / "r.json"
    for spec in (tiny_nllb_ct2_dir, f"en={tiny_marian_ct2_dir}"):
        res = cli(["translate", "--model", spec, *FAST, "--report", report], stdin=text)
        assert res.code == 0, res.err
        lines = res.out.split("\n")
        assert len(lines) == 4 and lines[1] == "" and lines[2] == "https://example.org"
        assert json.loads(report.read_text())["engine"] == {"en": "ctranslate2"}


@pytest.mark.parametrize("mode", ["inject", "placeholder"])
def test_builtin_glossary_through_tiny_ct2_nllb(cli, seed_path, tiny_nllb_ct2_dir, isolated, mode):
    """Glossary plumbing on a real engine: terms found in the seed, checked in both outputs,
    failures of the random model reported (never hidden), no placeholder left in the text."""
    out, greport = isolated / "out", isolated / "g.json"
    args = [seed_path, "--to", "en,ru", "--model", tiny_nllb_ct2_dir, "-o", out, *FAST]
    args += ["--builtin-glossary", "--glossary-mode", mode, "--glossary-report", greport]
    res = cli(["translate", *args])
    assert res.code == 0, res.err
    checks = json.loads(greport.read_text(encoding="utf-8"))
    summary = checks["summary"]
    assert summary["expected"] >= 2 * 20  # IOM ×4, USAID ×2, ministries, Tier terms, per target
    assert summary["failed"] == summary["expected"] - summary["satisfied"]
    assert {s["target"] for s in checks["segments"]} == {"en", "ru"}
    iom = [s for s in checks["segments"] if "BMqT-nin" in s["source"] and s["target"] == "ru"]
    assert iom and any("МОМ" in str(e) for s in iom for e in s["expected"])
    for lang in ("en", "ru"):
        text = (out / f"press-release-2022-07.{lang}.txt").read_text(encoding="utf-8")
        assert "ZXQ" not in text.upper()
    assert f"{summary['failed']} term failures" in res.err  # shown even with --quiet


# --- options, with the dictionary double ------------------------------------------------------


def test_stdin_to_stdout_keeps_layout(cli, double):
    res = cli(["translate", "-"], stdin="Salam.  Necəsən?\r\n\n\n2024\n")
    assert res.code == 0, res.err
    assert res.out == "Hello.  <en> Necəsən?\r\n\n\n2024\n"
    assert res.err == ""
    assert double.specs == ["nllb-200-distilled-600M"]


def test_out_dir_names_and_stdin_name(cli, double, tmp_path):
    (tmp_path / "release.az.txt").write_text("Salam.\n", encoding="utf-8")
    (tmp_path / "notes.text").write_text("Sağ ol.\n", encoding="utf-8")
    out = tmp_path / "out"
    inputs = [tmp_path / "release.az.txt", tmp_path / "notes.text"]
    res = cli(["translate", *inputs, "--to", "en,ru", "-o", out, "-m", "ru=other"])
    assert res.code == 0, res.err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["notes.en.text", "notes.ru.text", "release.en.txt", "release.ru.txt"]
    assert (out / "notes.ru.text").read_text(encoding="utf-8") == "<ru> Sağ ol.\n"
    assert sorted(double.specs) == ["nllb-200-distilled-600M", "other"]
    assert res.err.count("dilmanc: wrote") == 4
    res = cli(["translate", "-o", out, "--quiet"], stdin="Salam.")
    assert res.code == 0 and res.err == ""
    assert (out / "stdin.en.txt").read_text(encoding="utf-8") == "Hello."


def test_encoding_option_and_bom(cli, double, tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("Salam.\nƏla.\n", encoding="utf-16")
    res = cli(["translate", path, "--encoding", "utf-16"])
    assert res.code == 0, res.err
    assert res.out == "\ufeffHello.\n<en> Əla.\n"  # the byte-order mark is kept
    path.write_bytes("\ufeffSalam.".encode())
    assert cli(["translate", path]).out == "\ufeffHello."


SUBTITLE = "1\n00:00:01,000 --> 00:00:02,000\nSalam.\n"


@pytest.mark.parametrize(
    ("name", "text", "translated"),
    [
        ("film.az.srt", SUBTITLE, SUBTITLE.replace("Salam.", "Hello.")),
        ("notes.az.md", "# Salam.\n", "# Hello.\n"),
        ("notes.az.txt", "Salam.\nSalam.\n", "Hello.\nHello.\n"),
    ],
)
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-8"])
def test_text_outputs_keep_the_input_encoding_and_byte_order_mark(
    cli, double, tmp_path, name, text, translated, codec
):
    path = tmp_path / name
    path.write_bytes(("\ufeff" + text).encode(codec))
    res = cli(["translate", path, "--to", "en", "--model", "d", "-o", tmp_path / "out"])
    assert res.code == 0, res.err
    out = (tmp_path / "out" / name.replace(".az.", ".en.")).read_bytes()
    assert out == ("\ufeff" + translated).encode(codec)


def test_legacy_encodings_are_read_with_the_option_and_named_in_the_error(cli, double, tmp_path):
    for name in ("film.az.srt", "notes.az.md", "notes.az.txt", "page.html"):
        path = tmp_path / name
        text = SUBTITLE if name.endswith(".srt") else "<p>Salam. Café.</p>\n"
        path.write_bytes(text.encode("cp1252") + "Café.\n".encode("cp1252"))
        args = ["translate", path, "--to", "en", "--model", "d", "-o", tmp_path / "out"]
        line = one_error_line_of(cli(args))
        assert f"{path} is not valid" in line and line.endswith("convert it or pass --encoding")
        res = cli([*args, "--encoding", "cp1252"])
        assert res.code == 0, res.err


def test_a_decoding_error_carries_the_setting_not_the_option(tmp_path):
    from dilmanc.documents.registry import open_document
    from dilmanc.errors import EncodingError

    path = tmp_path / "film.srt"
    path.write_bytes(SUBTITLE.replace("Salam", "Café").encode("cp1252"))
    with pytest.raises(EncodingError) as info:
        open_document(path)
    assert info.value.setting == "encoding" and "--" not in str(info.value)


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (["translate", "--model", "/nonexistent/x"], 3, "--model /nonexistent/x: no such model"),
        (["translate", "--model", "a", "--model", "b"], 2, "--model given twice (a, b); use"),
        (["translate", "--model", "de=x"], 2, "--model de=x: de is not a target (en)"),
        (["translate", "--to", ","], 2, "no target language given (use --to en,ru)"),
        (["tm", "import", "{po}", "--tm", "{tm}"], 2, "the PO header has no Language; pass --tgt"),
        (["tm", "import", "{xyz}", "--tm", "{tm}"], 2, ".tsv; or pass --format)"),
        (
            ["serve", "--host", "0.0.0.0", "--model", "d"],
            2,
            "keys: pass --api-keys FILE, or --allow",
        ),
    ],
)
def test_errors_raised_by_core_name_the_cli_flag(cli, tmp_path, args, code, line):
    """Core errors carry the setting; the CLI names its own flag for it, in one line."""
    (tmp_path / "x.po").write_text('msgid "Open"\nmsgstr "Aç"\n', encoding="utf-8")
    (tmp_path / "x.xyz").write_text("hi\n", encoding="utf-8")
    paths = {"po": tmp_path / "x.po", "xyz": tmp_path / "x.xyz", "tm": tmp_path / "t.db"}
    res = cli([str(a).format(**paths) for a in args], stdin="Salam.\n")
    lines = [text for text in res.err.splitlines() if text.strip()]
    assert res.code == code and len(lines) == 1 and line in lines[0], res.err


def test_a_setting_error_names_the_setting_in_core_and_survives_pickling():
    import pickle

    from dilmanc.cli.options import flag
    from dilmanc.errors import ModelUnavailable, SettingError

    err = SettingError(
        "api_keys", "serving h", template="{problem}: pass {option}, or {allow_anonymous}"
    )
    assert str(err) == "serving h: pass api keys, or allow anonymous"
    assert err.line(flag) == "serving h: pass --api-keys, or --allow-anonymous"
    for original in (err, ModelUnavailable("x: no such model directory", setting="model")):
        copy = pickle.loads(pickle.dumps(original))  # as a Ray worker's error reaches the driver
        assert type(copy) is type(original) and copy.line(flag) == original.line(flag)
        assert str(copy) == str(original) and copy.exit_code == original.exit_code


def one_error_line_of(result) -> str:
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert result.code == 2 and len(lines) == 1, result.err
    return lines[0]


def test_readme_output_names_are_the_ones_translate_writes():
    """Every `dilmanc translate FILE --to LANGS -o out/  # out/NAME, ...` example in the
    README names the files `output_name` gives."""
    import re
    from pathlib import Path

    from dilmanc.documents.registry import output_name

    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    example = re.compile(r"^dilmanc translate (\S+) --to (\S+) -o out/\s+#\s+(out/.*)$", re.M)
    found = example.findall(readme)
    assert len(found) >= 5
    for name, langs, comment in found:
        promised = re.findall(r"out/(\S+?)(?:,|$|\s)", comment)
        written = [output_name(name, iso, "az") for iso in langs.split(",")]
        assert promised == written, (name, comment)


def test_options_reach_the_engine_and_the_report(cli, double, tmp_path):
    seen = {}
    real = double.iter_results

    def spy(texts, source, target, options, **kwargs):
        seen.update(options.as_dict())
        return real(texts, source, target, options, **kwargs)

    double.iter_results = spy
    report = tmp_path / "r.json"
    args = ["--beam", "2", "--max-length", "9", "--batch-tokens", "64", "--batch-size", "3"]
    res = cli(["translate", *args, "--report", report], stdin="Bir. İki. Üç. Dörd. Bir.")
    assert res.code == 0, res.err
    assert seen["beam_size"] == 2 and seen["max_length"] == 9
    assert seen["batch_tokens"] == 64 and seen["batch_size"] == 3
    assert max(len(batch) for _, batch in double.calls) <= 3
    record = json.loads(report.read_text())
    assert record["segments"] == {
        "lines": 1, "units": 1, "total": 5, "unique": 4, "translated": 4, "passthrough": 0,
        "split": 0,
    }  # fmt: skip
    assert record["model"] == {"en": "nllb-200-distilled-600M"}
    assert record["inputs"] == ["standard input"]


def test_interrupt_leaves_no_partial_file(cli, double, tmp_path, monkeypatch):
    text = "".join(f"Cümlə nömrə {i}.\n" for i in range(5000))
    path = tmp_path / "big.az.txt"
    path.write_text(text, encoding="utf-8")
    calls = []
    real = double.iter_results

    def interrupt_second_chunk(texts, *args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(texts, *args, **kwargs)

    double.iter_results = interrupt_second_chunk
    out = tmp_path / "out"
    res = cli(["translate", path, "--to", "en,ru", "-o", out])
    assert res.code == 130
    assert res.err.strip().startswith("dilmanc: error: interrupted")
    assert "Traceback" not in res.err
    assert no_files_left(out)


# --- failures: one line, the right exit code, no output ---------------------------------------


def _failure_cases(tmp_path, tiny_marian_dir):
    (tmp_path / "blank.txt").write_text(" \n\n\t\n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Salam dünya\n".encode("latin-1"))
    (tmp_path / "ok.az.txt").write_text("Salam.\n", encoding="utf-8")
    ok = tmp_path / "ok.az.txt"
    return {
        "missing file": (["translate", tmp_path / "nope.txt"], 2, "no such file"),
        "empty input": (["translate", tmp_path / "blank.txt"], 2, "is empty"),
        "non-utf8": (["translate", tmp_path / "latin1.txt"], 2, "not valid UTF-8"),
        "unknown target": (["translate", ok, "--to", "xx"], 2, "unknown language code 'xx'"),
        "unknown source": (["translate", ok, "--from", "qq"], 2, "unknown language code 'qq'"),
        "unknown model": (["translate", ok, "--model", "no-such-model"], 2, "unknown model"),
        "missing model dir": (["translate", ok, "--model", "./no/dir"], 3, "no such model"),
        "offline default": (["translate", ok], 3, "dilmanc models pull nllb-200-distilled-600M"),
        "pair": (["translate", ok, "--to", "ru", "--model", tiny_marian_dir], 2, "az→ru"),
        "two targets, no dir": (["translate", ok, "--to", "en,ru"], 2, "need --out-dir"),
        "bad beam": (["translate", ok, "--beam", "0"], 2, "--beam must be at least 1"),
        "bad device": (["translate", ok, "--device", "tpu"], 2, "--device must be one of"),
        "same language": (["translate", ok, "--to", "az"], 2, "both az"),
    }


CASES = [
    "missing file", "empty input", "non-utf8", "unknown target", "unknown source",
    "unknown model", "missing model dir", "offline default", "pair", "two targets, no dir",
    "bad beam", "bad device", "same language",
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_failures_are_one_line_with_exit_code(case, cli, isolated, tiny_marian_dir):
    args, code, message = _failure_cases(isolated, tiny_marian_dir)[case]
    out = isolated / "out"
    res = cli([*args, "--out-dir", out] if "--to" not in args else args)
    assert res.code == code, res.err
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dilmanc: error: "), res.err
    assert message in lines[0]
    assert "Traceback" not in res.err and res.out == ""
    assert no_files_left(out)


def test_empty_stdin_is_an_input_error(cli, isolated):
    res = cli(["translate"], stdin="  \n ")
    assert res.code == 2 and res.err.strip() == "dilmanc: error: standard input is empty"


def test_inputs_are_checked_before_any_model_loads(cli, double, tmp_path):
    (tmp_path / "good.txt").write_text("Salam.", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"Sal\xfeam.")
    out = tmp_path / "out"
    res = cli(["translate", tmp_path / "good.txt", tmp_path / "bad.txt", "-o", out])
    assert res.code == 2 and "bad.txt is not valid UTF-8" in res.err
    assert double.specs == [] and no_files_left(out)


def test_colliding_outputs_are_refused(cli, double, tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "x.az.txt").write_text("Salam.", encoding="utf-8")
    res = cli(["translate", tmp_path / "a/x.az.txt", tmp_path / "b/x.az.txt", "-o", tmp_path])
    assert res.code == 2 and "would both be written to" in res.err
    assert double.specs == []


def test_several_files_need_out_dir(cli, double, tmp_path):
    (tmp_path / "a.txt").write_text("Salam.", encoding="utf-8")
    res = cli(["translate", tmp_path / "a.txt", tmp_path / "a.txt"])
    assert res.code == 2 and "several input files need --out-dir" in res.err


# --- glossary wiring ----------------------------------------------------------------------------


def test_glossary_is_enforced_and_reported(cli, double, tmp_path):
    terms = tmp_path / "terms.tsv"
    terms.write_text("id\taz\ten\tru\nmeb\tMəktəb\tSchool\tШкола\n", encoding="utf-8")
    greport, report = tmp_path / "g.json", tmp_path / "r.json"
    text = "Məktəbin direktoru çıxış etdi.\nSalam.\nMəktəbin direktoru çıxış etdi.\n"
    args = ["-g", terms, "--glossary-report", greport, "--report", report, "--to", "ru"]
    res = cli(["translate", *args], stdin=text)
    assert res.code == 0, res.err
    assert "Школа" in res.out.splitlines()[0] and res.out.splitlines()[1] == "Hello."
    checks = json.loads(greport.read_text(encoding="utf-8"))
    assert [s["source"] for s in checks["segments"]] == ["Məktəbin direktoru çıxış etdi."]
    assert checks["segments"][0]["target"] == "ru" and checks["segments"][0]["found"]
    assert checks["summary"]["segments_with_terms"] == 1
    record = json.loads(report.read_text(encoding="utf-8"))
    assert record["glossary"]["expected"] == 1
    assert record["options"]["glossaries"] == [str(terms)]


def test_builtin_glossary_and_mode_off(cli, double):
    text = "BMqT-nin nümayəndəsi çıxış etdi."
    res = cli(["translate", "--builtin-glossary"], stdin=text)
    assert res.code == 0 and "IOM" in res.out and "BMqT" not in res.out
    assert "glossary: 1 of 1 expected terms in the output" in res.err
    res = cli(["translate", "--builtin-glossary", "--glossary-mode", "off"], stdin=text)
    assert res.code == 0 and res.out == f"<en> {text}"
    assert "glossary: 0 of 1 expected terms in the output" in res.err
    assert "1 term failures" in res.err


def test_mode_off_checks_and_reports(cli, double, tmp_path):
    greport = tmp_path / "g.json"
    args = ["--builtin-glossary", "--glossary-mode", "off", "--glossary-report", greport]
    res = cli(["translate", *args], stdin="BMqT-nin nümayəndəsi çıxış etdi.")
    assert res.code == 0, res.err
    checks = json.loads(greport.read_text(encoding="utf-8"))
    (segment,) = checks["segments"]
    assert segment["strategy"] == "off" and segment["failed"]
    assert checks["summary"]["expected"] == 1 and checks["summary"]["satisfied"] == 0


def test_glossary_errors_are_one_line(cli, double, tmp_path):
    res = cli(["translate", "--glossary-report", tmp_path / "g.json"], stdin="Salam.")
    assert res.code == 2 and "needs a glossary" in res.err
    res = cli(["translate", "-g", tmp_path / "none.tsv"], stdin="Salam.")
    assert res.code == 2 and len(res.err.strip().splitlines()) == 1
    res = cli(["translate", "--glossary-mode", "loud", "--builtin-glossary"], stdin="Salam.")
    assert res.code == 2 and "--glossary-mode must be one of" in res.err
    assert double.specs == [] and not (tmp_path / "g.json").exists()


def test_names_become_terms_with_one_rendering_per_document(cli, double, tmp_path):
    text = (
        "Cənab Vüqar Behbudov tədbirdə çıxış etdi.\n"
        "Behbudovun sözlərinə görə, layihə davam edəcək.\n"
    )
    greport = tmp_path / "g.json"
    res = cli(["translate", "--names", "direct", "--glossary-report", greport], stdin=text)
    assert res.code == 0, res.err
    sent = " ".join(double.seen)
    assert '"Vugar Behbudov"' in sent and '"Behbudov"-un' in sent  # injected, suffix kept
    lines = res.out.splitlines()
    assert "Vugar Behbudov" in lines[0] and "Behbudov" in lines[1] and "Behbudovun" not in res.out
    checks = json.loads(greport.read_text(encoding="utf-8"))
    ids = {f["id"] for s in checks["segments"] for f in s["found"]}
    assert ids and all(i.startswith("name:") for i in ids)
    assert checks["summary"]["failed"] == 0
    res = cli(["translate", "--names", "loud"], stdin=text)
    assert res.code == 2 and "--names must be one of direct, keep" in res.err
    res = cli(["translate", "--names-file", tmp_path / "n.tsv"], stdin=text)
    assert res.code == 2 and "--names-file needs --names" in res.err


def test_a_folder_is_mirrored_file_by_file(cli, double, tmp_path):
    src = tmp_path / "releases"
    (src / "2024").mkdir(parents=True)
    (src / "a.az.txt").write_text("Salam.\n", encoding="utf-8")
    (src / "2024" / "b.md").write_text("# Salam.\n\nBu *yeni* mətndir.\n", encoding="utf-8")
    (src / ".hidden.txt").write_text("Salam.\n", encoding="utf-8")
    (src / "data.bin").write_bytes(b"\x00\x01")
    out = tmp_path / "out"
    res = cli(["translate", src, "--to", "en,ru", "-o", out])
    assert res.code == 0, res.err
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert names == ["2024/b.en.md", "2024/b.ru.md", "a.en.txt", "a.ru.txt"]
    assert (out / "2024" / "b.en.md").read_text(encoding="utf-8").startswith("# Hello.\n")
    assert "skipped 1 file(s) of unknown type" in res.err and "data.bin" in res.err
    empty = tmp_path / "empty"
    empty.mkdir()
    res = cli(["translate", empty, "-o", out])
    assert res.code == 2 and "no files of a known type" in res.err
