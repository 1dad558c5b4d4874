"""Hardening: mixed-language lines, long segments, write failures, signals, file modes.

CLI paths run in-process through the `cli` fixture with the dictionary engine double where a
model is not the point; signal and /dev/full cases run a real `python -m dilmanc` process.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from docx_fixtures import MB, bomb
from doubles import DictEngine, use_for_every_model
from memory_probe import peak_growth

from dilmanc.errors import EXIT_UNAVAILABLE, EXIT_USAGE, OutputError
from dilmanc.fileio import atomic_writer, check_writable, write_text_atomic

MIXED = (
    "Layihə USAID tərəfindən maliyyələşdirilir. This work is made possible by the support "
    "of the people of the United States through USAID.\n"
)


@pytest.fixture
def double(monkeypatch):
    """Every --model loads one DictEngine (az→en, ru)."""
    engine = DictEngine({"Layihə USAID tərəfindən maliyyələşdirilir.": "USAID funds it."})
    use_for_every_model(monkeypatch, engine)
    return engine


# --- item 2: the English rule works per sentence ------------------------------------------------


def test_azerbaijani_sentence_beside_a_dominant_english_one_is_translated(cli, double):
    res = cli(["translate", "--model", "x", "--quiet"], stdin=MIXED)
    assert res.code == 0, res.err
    english = MIXED.split(". ", 1)[1]
    assert res.out == "USAID funds it. " + english
    assert double.seen == {"Layihə USAID tərəfindən maliyyələşdirilir.": 1}


# --- item 3: over-long segments are split to fit the model, never cut -------------------------


def test_fitter_splits_a_segment_longer_than_the_tiny_model_reads(tiny_nllb_dir):
    from dilmanc.engines.registry import load_engine
    from dilmanc.languages import resolve
    from dilmanc.pipeline.fit import segment_fitter
    from dilmanc.text.segment import segment_line

    az = resolve("az")
    engine = load_engine(str(tiny_nllb_dir))
    assert engine.max_source_tokens == 512
    line = "Qısa giriş. " + "uzun cümlədə vergül yoxdur amma sözlər çoxdur " * 300
    assert engine.count_tokens(line.split(". ", 1)[1], az) == 512  # the tokenizer cuts it
    fitted = segment_fitter([engine], az)(segment_line(line))
    assert "".join(p.text for p in fitted.pieces) == line
    parts = [p.text for p in fitted.pieces if p.translate]
    assert fitted.split == 1 and parts[0] == "Qısa giriş." and len(parts) > 3
    assert all(engine.count_tokens(p, az) <= 510 for p in parts)


def test_fitter_caps_characters_for_an_engine_without_a_token_limit(double):
    from dilmanc.languages import resolve
    from dilmanc.pipeline.fit import segment_fitter
    from dilmanc.text.segment import segment_line

    line = "x" * 12_000
    fitted = segment_fitter([double], resolve("az"))(segment_line(line))
    assert [len(p.text) for p in fitted.pieces] == [5000, 5000, 2000]


# --- item 4: write failures are one line with exit 2 (path) or 3 (resource) --------------------


def one_error_line(err: str) -> bool:
    return err.count("\n") == 1 and err.startswith("dilmanc: error: ") and "Traceback" not in err


def dilmanc_process(args: list[str], **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "dilmanc", *map(str, args)], env=env, cwd=ROOT, **kwargs
    )


def test_atomic_writer_refuses_a_folder_before_writing(tmp_path):
    with pytest.raises(OutputError, match="is a directory") as caught, atomic_writer(tmp_path):
        raise AssertionError("the body must not run")
    assert caught.value.exit_code == EXIT_USAGE and str(tmp_path) in str(caught.value)
    (tmp_path / "file").write_text("f")
    with pytest.raises(OutputError, match="not a directory"):
        write_text_atomic(tmp_path / "file" / "x.txt", "x")


@pytest.mark.parametrize(
    ("failing", "code", "exit_code", "words"),
    [
        ("fsync", errno.ENOSPC, EXIT_UNAVAILABLE, "no space left on device"),
        ("replace", errno.EIO, EXIT_UNAVAILABLE, "input/output error"),
        ("open", errno.EROFS, EXIT_USAGE, "read-only file system"),
        ("open", errno.EACCES, EXIT_USAGE, "permission denied"),
    ],
)
def test_os_errors_while_writing_become_output_errors(
    tmp_path, monkeypatch, failing, code, exit_code, words
):
    target = tmp_path / "out.txt"
    target.write_text("old")
    real = getattr(os, failing)

    def fail(*args, **kwargs):
        if failing == "open" and not str(args[0]).endswith(".part"):
            return real(*args, **kwargs)
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OutputError) as caught:
        write_text_atomic(target, "new text")
    assert caught.value.exit_code == exit_code
    assert str(caught.value) == f"cannot write {target}: {words}"
    monkeypatch.undo()
    assert target.read_text() == "old" and sorted(tmp_path.iterdir()) == [target]


def test_full_disk_while_writing_through_the_handle(tmp_path):
    target = tmp_path / "big.txt"
    full = os.open("/dev/full", os.O_WRONLY)
    with pytest.raises(OutputError, match="no space left") as caught, atomic_writer(target) as fh:
        fh.write("x" * 10)
        os.dup2(full, fh.fileno())  # the disk fills up under the open output
        fh.write("y" * 100_000)  # past the buffer: this write reaches the disk
    os.close(full)
    assert caught.value.exit_code == EXIT_UNAVAILABLE
    assert str(target) in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_report_to_a_folder_is_one_line_exit_2_and_nothing_is_written(cli, tmp_path):
    hyp, ref = tmp_path / "hyp.txt", tmp_path / "ref.txt"
    hyp.write_text("a b c\n")
    ref.write_text("a b c\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    res = cli(["eval", "score", "--hyp", hyp, "--ref", ref, "--segments", folder])
    assert res.code == 2 and one_error_line(res.err), res.err
    assert f"cannot write {folder}: is a directory" in res.err
    assert res.out == "" and list(folder.iterdir()) == []


def test_eval_report_checks_every_output_before_writing_any(cli, tmp_path, monkeypatch):
    monkeypatch.setattr("dilmanc.eval.records.load_run", lambda path: {"model": "m"})
    monkeypatch.setattr("dilmanc.eval.report.render_html", lambda records, runs: "<html/>")
    monkeypatch.setattr("dilmanc.eval.report.render_markdown", lambda records, runs: "# md")
    html = tmp_path / "r.html"
    res = cli(["eval", "report", "run.json", "--html", html, "--md", tmp_path])
    assert res.code == 2 and one_error_line(res.err) and "is a directory" in res.err
    assert not html.exists()


@pytest.mark.parametrize("kind", ["file", "blocked"])
def test_eval_run_checks_its_output_folder_before_translating(cli, tmp_path, monkeypatch, kind):
    out = tmp_path / "runs"
    if kind == "file":
        out.write_text("a file, not a folder")
    else:
        (tmp_path / "blocker").write_text("x")
        out = tmp_path / "blocker" / "runs"
    calls = []
    monkeypatch.setattr("dilmanc.eval.benchmark.run_benchmark", lambda s: calls.append(s))
    res = cli(["eval", "run", "--testset", "ntrex128", "--out", out, "--quiet"])
    assert res.code == 2 and one_error_line(res.err), res.err
    assert "not a directory" in res.err and calls == []


def test_eval_run_refuses_a_read_only_output_folder_before_translating(cli, tmp_path, monkeypatch):
    real = os.open

    def read_only(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path / "runs")):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, *args, **kwargs)

    (tmp_path / "runs").mkdir()
    monkeypatch.setattr(os, "open", read_only)
    calls = []
    monkeypatch.setattr("dilmanc.eval.benchmark.run_benchmark", lambda s: calls.append(s))
    res = cli(["eval", "run", "--testset", "ntrex128", "--out", tmp_path / "runs", "-q"])
    assert res.code == 2 and "read-only file system" in res.err and calls == []


def test_check_writable(tmp_path):
    check_writable(tmp_path / "new" / "deeper" / "out.txt")  # folders are made later
    check_writable(tmp_path / "runs", directory=True)
    assert list(tmp_path.iterdir()) == []  # the check leaves nothing behind
    with pytest.raises(OutputError, match="is a directory"):
        check_writable(tmp_path)
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        check_writable(tmp_path / "f", directory=True)
    with pytest.raises(OutputError, match="not a directory"):
        check_writable(tmp_path / "f" / "out.txt")


@pytest.mark.parametrize(
    "args",
    [["glossary", "list", "--builtin"], ["eval", "testsets"], ["--help"]],
)
def test_standard_output_on_a_full_device_is_one_line_exit_3(args):
    with open("/dev/full", "w") as full:
        proc = dilmanc_process(args, stdout=full, stderr=subprocess.PIPE, text=True)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, err
    assert err == "dilmanc: error: cannot write standard output: no space left on device\n"


def test_a_closed_pipe_ends_quietly_with_141(tmp_path):
    text = tmp_path / "many.txt"
    text.write_text("USAID layihəni maliyyələşdirir.\n" * 40_000, encoding="utf-8")
    proc = dilmanc_process(
        ["glossary", "check", text, "--builtin"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 141 and err == b""


# --- item 5: outputs get the mode a plain open() gives, or keep the replaced file's ------------


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_new_outputs_follow_the_umask_and_replaced_ones_keep_their_mode(tmp_path):
    previous = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "new.txt", "x")
        kept = tmp_path / "kept.txt"
        kept.write_text("old")
        kept.chmod(0o640)
        write_text_atomic(kept, "new")
        os.umask(0o077)
        write_text_atomic(tmp_path / "private.txt", "x")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "new.txt") == 0o644
    assert mode(kept) == 0o640 and kept.read_text() == "new"
    assert mode(tmp_path / "private.txt") == 0o600


# --- item 6: SIGTERM and Ctrl-C clean up and say what was written ------------------------------

SLOW_DRIVER = """
import sys, time
sys.path.insert(0, {tests!r})
from doubles import DictEngine

class Slow(DictEngine):
    def _translate_encoded(self, batch, source, target, **decode):
        time.sleep(0.05)
        return super()._translate_encoded(batch, source, target, **decode)

import dilmanc.engines.registry as registry
registry.load_engine = lambda spec, **kwargs: Slow()
from dilmanc.cli import run
run()
"""


def big_input(path: Path, lines: int) -> Path:
    path.write_text(
        "".join(f"Hesabatın {i}-ci bəndi USAID layihəsi haqqındadır.\n" for i in range(lines)),
        encoding="utf-8",
    )
    return path


def test_sigterm_removes_temporaries_says_one_line_and_exits_143(tmp_path):
    source = big_input(tmp_path / "big.txt", 60_000)
    out = tmp_path / "d"
    driver = SLOW_DRIVER.format(tests=str(ROOT / "tests"))
    args = [source, "--to", "en,ru", "-o", out, "--builtin-glossary", "-q"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", driver, "translate", *map(str, args), "--glossary-report",
         str(out / "g.json")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not any(p.stat().st_size for p in out.glob(".*.part")) if out.exists() else True:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert one_error_line(err) and err.startswith("dilmanc: error: interrupted (SIGTERM)")
    assert "removed unfinished" in err and "big.en.txt" in err
    assert list(out.iterdir()) == []


def test_stale_temporaries_of_a_killed_run_are_removed(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid is now free: the writer that used it is gone
    stale = tmp_path / f".out.txt.{child.pid}.part"
    stale.write_text("left by SIGKILL")
    live = tmp_path / f".out.txt.{os.getppid()}.part"  # a writer that is still running
    live.write_text("busy")
    other = tmp_path / f".other.txt.{child.pid}.part"
    other.write_text("another output's")
    write_text_atomic(tmp_path / "out.txt", "done")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["out.txt", live.name, other.name])


class Interrupting(DictEngine):
    """Raises KeyboardInterrupt once `after` segments were translated (a Ctrl-C mid-run)."""

    after = 2000

    def _translate_encoded(self, batch, source, target, **decode):
        if self.segments_translated >= self.after:
            raise KeyboardInterrupt
        return super()._translate_encoded(batch, source, target, **decode)


def test_ctrl_c_after_printing_says_standard_output_is_incomplete(cli, tmp_path, monkeypatch):
    engine = Interrupting()
    use_for_every_model(monkeypatch, engine)
    source = big_input(tmp_path / "big.txt", 3000)
    res = cli(["translate", source, "--model", "x", "--quiet"])
    assert res.code == 130
    printed = res.out.count("\n")
    assert printed >= 2000
    assert one_error_line(res.err)
    assert f"standard output stopped after {printed} lines" in res.err
    assert "no output file" not in res.err


def test_ctrl_c_while_writing_files_names_the_removed_ones(cli, tmp_path, monkeypatch):
    engine = Interrupting()
    use_for_every_model(monkeypatch, engine)
    source = big_input(tmp_path / "big.txt", 3000)
    out = tmp_path / "d"
    res = cli(["translate", source, "--model", "x", "--to", "en,ru", "-o", out, "--quiet"])
    assert res.code == 130 and one_error_line(res.err)
    assert "removed unfinished" in res.err and "big.ru.txt" in res.err
    assert list(out.iterdir()) == []


def test_ctrl_c_before_anything_was_written(cli, monkeypatch):
    engine = Interrupting()
    engine.after = 0
    use_for_every_model(monkeypatch, engine)
    res = cli(["translate", "--model", "x", "--quiet"], stdin="Salam dünya.\n")
    assert res.code == 130
    assert res.err == "dilmanc: error: interrupted (Ctrl-C); nothing was written\n"


# --- item 8: messages that point the right way -------------------------------------------------

RAW_TYPE = re.compile(r"<(?:str|int|float|bool|path|list\[[^\]]*\]|(?:int|float) range)>")
RAW_NAME = re.compile(r"\{[a-z_]+\}")


def all_commands() -> list[list[str]]:
    import typer

    from dilmanc.cli.app import app

    found = []

    def walk(command, path):
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c) or "dilmanc")
def test_help_shows_no_python_type_names_or_raw_parameter_names(cli, command):
    res = cli([*command, "--help"])
    assert res.code == 0, res.err
    assert not RAW_TYPE.search(res.out), res.out
    assert not RAW_NAME.search(res.out), res.out


def test_help_names_arguments_in_capitals(cli):
    out = cli(["glossary", "validate", "--help"]).out
    assert "Usage: dilmanc glossary validate [OPTIONS] FILE..." in out
    assert "  FILE...  Glossary files to check." in out
    assert "-g, --glossary FILE" in cli(["glossary", "list", "--help"]).out


GLOSSARY_TSV = "az\ten\nmiqrasiya\tmigration\n"


def test_a_utf16_glossary_with_a_byte_order_mark_is_read(cli, tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text(GLOSSARY_TSV, encoding="utf-16")  # Excel's "Unicode text" export
    res = cli(["glossary", "validate", path])
    assert res.code == 0 and res.out == "", res.out
    res = cli(["glossary", "check", "-", "-g", path], stdin="Miqrasiyanı öyrənir.\n")
    assert res.code == 0 and "\tMiqrasiyanı\ten=migration" in res.out


def test_a_glossary_that_is_not_utf8_gets_advice_that_exists(cli, tmp_path):
    path = tmp_path / "g.tsv"
    path.write_bytes("az\ten\nşir\tlion\n".encode("cp1254"))
    res = cli(["glossary", "validate", path])
    assert res.code == 2 and "--encoding" not in res.out
    assert "save it as UTF-8" in res.out
    res = cli(["translate", "--model", "x", "-g", path], stdin="Salam.\n")
    assert res.code == 2 and one_error_line(res.err) and "--encoding" not in res.err


def test_utf16_without_a_byte_order_mark_is_named(cli, tmp_path):
    path = tmp_path / "text.txt"
    path.write_bytes("Salam dünya.\n".encode("utf-16-le"))
    res = cli(["glossary", "check", path])
    assert res.code == 2 and one_error_line(res.err)
    assert "NUL bytes" in res.err and "UTF-16" in res.err


def test_glossary_verify_reads_other_encodings(cli, tmp_path):
    src, hyp = tmp_path / "src.txt", tmp_path / "hyp.txt"
    src.write_bytes("Miqrasiya artır.\n".encode("cp1254"))
    hyp.write_text("Migration grows.\n")
    gloss = tmp_path / "g.tsv"
    gloss.write_text(GLOSSARY_TSV)
    args = ["glossary", "verify", "--src", src, "--hyp", hyp, "-l", "en", "-g", gloss]
    res = cli(args)
    assert res.code == 2 and "--encoding" in res.err  # the advice names an option that exists
    res = cli([*args, "--encoding", "cp1254"])
    assert res.code == 0 and "(1/1)" in res.out


def test_a_glossary_problem_says_error_once(cli, tmp_path):
    path = tmp_path / "dup.tsv"
    path.write_text("id\taz\ten\nx\tbir\tone\nx\tiki\ttwo\n")
    res = cli(["glossary", "list", "-g", path])
    assert res.code == 2 and one_error_line(res.err)
    assert res.err.count("error") == 1, res.err
    assert f"{path}: line 3: duplicate id 'x'" in res.err


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["e.txt", "e.txt"], "nothing to score: e.txt is empty"),
        (["h.txt", "r.txt"], "nothing to score: h.txt and r.txt are empty"),
        (["h.txt", "r.txt", "s.txt"], "nothing to score: h.txt, r.txt and s.txt are empty"),
    ],
)
def test_nothing_to_score_names_each_empty_file_once(cli, tmp_path, monkeypatch, names, message):
    monkeypatch.chdir(tmp_path)
    for name in names:
        Path(name).write_text("")
    args = ["eval", "score", "--hyp", names[0], "--ref", names[1]]
    if len(names) > 2:
        args += ["--src", names[2], "-g", "x.tsv", "-l", "en"]
    res = cli(args)
    assert res.code == 2 and res.err == f"dilmanc: error: {message}\n"


def test_verify_with_no_terms_says_so(cli, tmp_path):
    src, hyp = tmp_path / "src.txt", tmp_path / "hyp.txt"
    src.write_text("Bu gün hava yaxşıdır.\n")
    hyp.write_text("The weather is fine today.\n")
    res = cli(["glossary", "verify", "--src", src, "--hyp", hyp, "-l", "en", "--builtin"])
    assert res.code == 0
    assert res.out == "no glossary terms in the source: term accuracy not measured (0 terms)\n"
    assert "1.0000" not in res.out


def test_a_glossary_with_only_a_header_warns(cli, tmp_path):
    path = tmp_path / "empty.tsv"
    path.write_text("# terms to come\naz\ten\tru\n")
    res = cli(["glossary", "validate", path])
    assert res.code == 0
    assert res.out == f"{path}: line 2: warning: no entries (only a header)\n"
    assert "0 error(s), 1 warning(s)" in res.err


HOSTILE_TBX = """<?xml version="1.0"?>
<!DOCTYPE martif [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
<martif type="TBX"><text><body>
<termEntry id="t1">
<langSet xml:lang="az"><tig><term>&xxe;</term></tig></langSet>
<langSet xml:lang="en"><tig><term>IOM</term></tig></langSet>
</termEntry>
</body></text></martif>
"""


def test_tbx_with_entity_declarations_or_references_is_refused(cli, tmp_path):
    path = tmp_path / "hostile.tbx"
    path.write_text(HOSTILE_TBX)
    res = cli(["glossary", "validate", path])
    assert res.code == 2
    assert res.out == (
        f"{path}: line 2: error: entity declarations are not accepted (never expanded)\n"
    )
    undeclared = HOSTILE_TBX.replace(
        HOSTILE_TBX.splitlines()[1], '<!DOCTYPE martif SYSTEM "x.dtd">'
    )
    path.write_text(undeclared)
    res = cli(["glossary", "validate", path])
    assert res.code == 2
    assert res.out == f"{path}: line 5: error: entity reference &xxe; is not accepted\n"
    res = cli(["glossary", "list", "-g", path])
    assert res.code == 2 and one_error_line(res.err)


def test_eval_score_with_no_terms_says_so(cli, tmp_path):
    src, hyp = tmp_path / "src.txt", tmp_path / "hyp.txt"
    src.write_text("Bu gün hava yaxşıdır.\n")
    hyp.write_text("The weather is fine today.\n")
    args = ["eval", "score", "--hyp", hyp, "--ref", hyp, "--src", src, "-l", "en"]
    gloss = tmp_path / "g.tsv"
    gloss.write_text(GLOSSARY_TSV)
    res = cli([*args, "-g", gloss])
    assert res.code == 0
    assert "term accuracy = n/a (no glossary terms in the source)" in res.out


@pytest.mark.parametrize("option", ["--report", "--glossary-report"])
def test_translate_report_to_a_folder_is_one_line_exit_2(cli, double, tmp_path, option):
    args = ["translate", "--model", "x", "--builtin-glossary", option, tmp_path, "-q"]
    res = cli(args, stdin="Layihə USAID tərəfindən maliyyələşdirilir.\n")
    assert res.code == 2 and one_error_line(res.err), res.err
    assert f"cannot write {tmp_path}: is a directory" in res.err


def test_translate_into_a_read_only_folder_is_one_line_exit_2(cli, double, tmp_path, monkeypatch):
    real = os.open

    def read_only(path, *args, **kwargs):
        if str(path).endswith(".part"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", read_only)
    source = tmp_path / "in.az.txt"
    source.write_text("Salam.\n")
    res = cli(["translate", source, "--model", "x", "-o", tmp_path / "out", "-q"])
    assert res.code == 2 and one_error_line(res.err)
    # the folder is probed before any model loads or anything is translated
    assert f"cannot write {tmp_path / 'out'}: read-only file system" in res.err
    assert not double.calls


# --- issue 18 item 1: decompression bombs are refused before they are parsed --------------------

BOMBS = {  # name: (inflated bytes of word/document.xml, filler, extra members, the reason)
    "elements": (16 * MB, b"<w:p/>", 0, "more than 2,000,000 XML tags"),
    "whitespace": (300 * MB, b" ", 0, "word/document.xml inflates to 300 MB"),
    "whitespace under the part limit": (40 * MB, b"\n ", 0, "MB of text without markup"),
    "members": (0, b" ", 10_001, "members in the archive (the limit is 10,000)"),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_zip_bomb_is_one_line_exit_2_and_no_output(cli, double, tmp_path, name):
    inflated, filler, members, reason = BOMBS[name]
    path = bomb(tmp_path / "bomba.docx", inflated, filler, members)
    assert path.stat().st_size < 2 * MB  # a small upload
    res = cli(["translate", path, "--model", "x", "--to", "en", "-o", tmp_path / "out", "-q"])
    assert res.code == 2 and one_error_line(res.err), res.err
    assert reason in res.err and str(path) in res.err
    assert not (tmp_path / "out").exists() and not double.calls


@pytest.mark.parametrize("name", ["elements", "whitespace", "whitespace under the part limit"])
def test_a_zip_bomb_costs_little_memory_to_refuse(tmp_path, name):
    inflated, filler, members, reason = BOMBS[name]
    path = bomb(tmp_path / "bomba.docx", inflated, filler, members)
    growth, message = peak_growth(
        "from dilmanc.documents.registry import open_document\nimport docx, lxml.etree",
        f"""
        try:
            open_document({str(path)!r})
        except Exception as err:
            result = str(err)
        """,
    )
    assert message is not None and reason in message
    assert growth < 48 * MB, f"peak memory grew by {growth / MB:.0f} MB"


def test_a_bug_is_one_line_and_exit_70_without_output(cli, double, monkeypatch, tmp_path):
    """An unexpected exception (a bug, like the subtitle cue without text that stopped a
    whole run) is one line naming it and how to see the traceback, exit 70, no output;
    DILMANC_DEBUG=1 (set by the `cli` fixture) raises it as it is."""
    from dilmanc.pipeline.pipeline import Pipeline

    def broken(self, *args, **kwargs):
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr(Pipeline, "translate_units", broken)
    source = tmp_path / "xəbər.az.txt"
    source.write_text("Salam, dünya.\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        cli(["translate", source, "--to", "en", "-o", out])
    monkeypatch.delenv("DILMANC_DEBUG")
    result = cli(["translate", source, "--to", "en", "-o", out])
    assert result.code == 70
    assert result.err.strip().splitlines() == [
        "dilmanc: error: internal error (RuntimeError: a bug over two lines); this is a bug in "
        "dilmanc, not in your input: run again with DILMANC_DEBUG=1 for the traceback and "
        "report it"
    ]
    assert not out.exists() or not any(out.iterdir())
