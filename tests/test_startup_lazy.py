"""What a plain one-sentence `dilmanc translate` pipe loads (issue 23, instant starts): only
the translate command's module, and no quality estimation when nothing reads its verdicts
(so lingua's language models never load); asked for (--report), QE runs and the output is
the same. Assertions are on imported modules and report contents, never on timings."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SENTENCE = "Bakıda keçirilən görüşdə yeni layihənin əsas məqsədləri müzakirə olunub.\n"
#: the modules of the other subcommands, and QE's language identifier
WATCHED = (
    "lingua",
    "dilmanc.cli.eval",
    "dilmanc.cli.tm",
    "dilmanc.cli.models",
    "dilmanc.cli.serve",
    "dilmanc.cli.review",
    "dilmanc.cli.glossary",
    "dilmanc.cli.names",
    "dilmanc.cli.qe",
)


def _run(model: Path, tmp_path: Path, *extra: str) -> tuple[str, list[str]]:
    """(standard output, watched modules imported) of one translate run in a fresh process."""
    args = ["translate", "--model", str(model), "--to", "en", "--no-cache", "--no-tm"]
    args += ["--min-length", "32", "--max-length", "32", *extra]  # enough letters for lingua
    code = textwrap.dedent(
        f"""
        import io, json, sys
        sys.stdin = io.TextIOWrapper(io.BytesIO({SENTENCE.encode()!r}), encoding="utf-8")
        from dilmanc.cli import main
        code = main({args!r})
        loaded = [name for name in {WATCHED!r} if name in sys.modules]
        sys.stderr.write("\\nWATCHED " + json.dumps(loaded) + "\\n")
        sys.exit(code)
        """
    )
    env = {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)}
    env["DILMANC_HOME"] = str(tmp_path / "dilmanc")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    marker = done.stderr.rsplit("WATCHED ", 1)[1]
    return done.stdout, json.loads(marker)


def test_quiet_pipe_loads_neither_qe_language_models_nor_other_commands(
    tiny_marian_ct2_dir, tmp_path
):
    out, loaded = _run(tiny_marian_ct2_dir, tmp_path, "-q")
    assert out.strip()
    assert loaded == []


def test_qe_still_runs_when_its_verdicts_are_read_and_the_output_is_the_same(
    tiny_marian_ct2_dir, tmp_path
):
    quiet, _ = _run(tiny_marian_ct2_dir, tmp_path, "-q")
    report = tmp_path / "report.json"
    out, loaded = _run(tiny_marian_ct2_dir, tmp_path, "-q", "--report", str(report))
    assert out == quiet
    assert "lingua" in loaded  # the random model's output is long enough to be identified
    counts = json.loads(report.read_text(encoding="utf-8"))["qe"]
    assert sum(counts[k] for k in ("ok", "review", "bad")) == 1
    _, loaded = _run(tiny_marian_ct2_dir, tmp_path)  # not quiet: the stderr quality line
    assert "lingua" in loaded


@pytest.mark.parametrize(
    ("format_name", "quiet", "report", "review_only", "reads"),
    [
        ("text", True, None, False, False),
        ("text", False, None, False, True),
        ("text", True, "r.json", False, True),
        ("text", True, None, True, True),
        ("xliff", True, None, False, True),  # flagged targets get a review state
        ("po", True, None, False, True),  # and a QE translator comment
    ],
)
def test_who_reads_qe(format_name, quiet, report, review_only, reads):
    from dilmanc.cli.translate import Job, _reads_qe
    from dilmanc.documents.registry import format_class

    job = Job(format_class(format_name), {"en": None})  # the class: what it declares counts
    assert _reads_qe([job], report, review_only, quiet) is reads
