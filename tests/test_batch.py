"""`dilmanc batch`: an archive translated through the same service as `translate`, resumable,
locally and on a local Ray cluster, with the copy model (tests/copy_model.py)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

SENTENCES = [
    "Bakı şəhərində yeni məktəb açıldı.",
    "Nazirlik bu barədə məlumat verdi.",
    "Sabah hava isti olacaq.",
    "Layihə gələn il başa çatacaq.",
]
NO_MEMORY = ["--no-cache", "--no-tm", "-q"]


def _docx(path: Path, paragraphs: list[str]) -> None:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(path)


def _archive(root: Path) -> Path:
    """A folder of mixed documents: text, Markdown, HTML, Word, one in a sub-folder."""
    (root / "2021").mkdir(parents=True)
    (root / "release.az.txt").write_text("\n\n".join(SENTENCES) + "\n", encoding="utf-8")
    (root / "notes.md").write_text(f"# Xəbər\n\n{SENTENCES[2]} **{SENTENCES[3]}**\n", "utf-8")
    page = f"<html><body><p>{SENTENCES[0]}</p><p><b>{SENTENCES[1]}</b></p></body></html>"
    (root / "2021" / "page.html").write_text(page, encoding="utf-8")
    _docx(root / "2021" / "letter.az.docx", SENTENCES[:3])
    return root


def _content(path: Path):
    """A file's bytes; for a Word file, each zip member's name and bytes: python-docx stamps
    members with the time of writing, so two `translate` runs of one .docx differ only there."""
    if path.suffix != ".docx":
        return path.read_bytes()
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def _files(root: Path) -> dict:
    """Every output under `root` (the run directory aside) by relative path."""
    return {
        p.relative_to(root).as_posix(): _content(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".dilmanc-batch" not in p.parts
    }


def _manifest(out: Path) -> list[dict]:
    text = (out / ".dilmanc-batch" / "manifest.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def models(copy_marian_ct2_dir, copy_marian_ru_ct2_dir) -> list:
    return ["--model", copy_marian_ct2_dir, "--model", f"ru={copy_marian_ru_ct2_dir}"]


@pytest.fixture
def reference(cli, models, tmp_path):
    """`dilmanc translate FOLDER --to en,ru -o OUT`'s outputs, for comparison."""

    def make(folder: Path) -> dict[str, bytes]:
        out = tmp_path / f"translate-{time.monotonic_ns()}"
        res = cli(["translate", folder, "--to", "en,ru", *models, "-o", out, *NO_MEMORY])
        assert res.code == 0, res.err
        return _files(out)

    return make


def test_local_batch_writes_what_translate_writes(cli, models, reference, tmp_path):
    archive = _archive(tmp_path / "archive")
    out = tmp_path / "out"
    res = cli(["batch", archive, "--to", "en,ru", *models, "-o", out, "--no-cache", "--no-tm"])
    assert res.code == 0, res.err
    assert "4 done, 0 skipped (already done), 0 failed" in res.err
    expected = reference(archive)
    assert len(expected) == 8 and "2021/letter.en.docx" in expected
    assert _files(out) == expected
    assert [r["status"] for r in _manifest(out)] == ["done"] * 4


def test_rerun_skips_what_is_done_and_redoes_only_what_changed(cli, models, reference, tmp_path):
    archive = _archive(tmp_path / "archive")
    out = tmp_path / "out"
    args = ["batch", archive, "--to", "en,ru", *models, "-o", out, "--no-cache", "--no-tm"]
    assert cli(args).code == 0
    first = {p: (out / p).stat().st_mtime_ns for p in _files(out)}

    again = cli(args)
    assert again.code == 0 and "0 done, 4 skipped" in again.err, again.err
    assert len(_manifest(out)) == 4  # nothing translated, nothing recorded

    (out / "notes.ru.md").unlink()  # a lost output
    (archive / "release.az.txt").write_text(SENTENCES[3] + "\n", encoding="utf-8")  # an edit
    third = cli(args)
    assert third.code == 0 and "2 done, 2 skipped" in third.err, third.err
    assert sorted(r["item"] for r in _manifest(out)[4:]) == ["notes.md", "release.az.txt"]
    assert _files(out) == reference(archive)
    untouched = ["2021/page.en.html", "2021/page.ru.html", "2021/letter.en.docx"]
    assert all((out / p).stat().st_mtime_ns == first[p] for p in untouched)


def test_new_settings_translate_again(cli, models, tmp_path):
    archive = _archive(tmp_path / "archive")
    out = tmp_path / "out"
    args = ["batch", archive, "--to", "en,ru", *models, "-o", out, "--no-cache", "--no-tm"]
    assert cli(args).code == 0
    res = cli([*args, "--beam", "2"])
    assert res.code == 0 and "4 done, 0 skipped" in res.err, res.err


def test_a_corrupt_document_is_recorded_and_the_run_goes_on(cli, models, tmp_path):
    archive = _archive(tmp_path / "archive")
    (archive / "broken.docx").write_bytes(b"PK\x03\x04 this is not a Word file")
    out = tmp_path / "out"
    args = ["batch", archive, "--to", "en,ru", *models, "-o", out, "--no-cache", "--no-tm"]
    res = cli(args)
    assert res.code == 1, res.err
    assert "4 done, 0 skipped (already done), 1 failed" in res.err
    failed = [line for line in res.err.splitlines() if line.startswith("dilmanc: failed:")]
    assert len(failed) == 1 and "broken.docx" in failed[0] and "Traceback" not in res.err
    record = next(r for r in _manifest(out) if r["item"] == "broken.docx")
    assert record["status"] == "failed" and "\n" not in record["error"] and record["error"]
    assert not list(out.glob("broken*")) and not list(out.rglob("*.part"))
    assert len(_files(out)) == 8
    retry = cli(args)  # failed items are tried again, done ones are not
    assert retry.code == 1 and "0 done, 4 skipped (already done), 1 failed" in retry.err


def test_glob_and_manifest_inputs_lay_out_outputs_like_a_folder(cli, copy_marian_ct2_dir, tmp_path):
    models = ["--model", copy_marian_ct2_dir]
    archive = _archive(tmp_path / "archive")
    pattern = str(archive / "**" / "*.html")
    res = cli(["batch", pattern, "--to", "en", *models, "-o", tmp_path / "g", *NO_MEMORY])
    assert res.code == 0, res.err
    assert list(_files(tmp_path / "g")) == ["2021/page.en.html"]
    listing = tmp_path / "list.jsonl"
    listing.write_text('{"path": "archive/notes.md"}\n\n"archive/2021/page.html"\n', "utf-8")
    res = cli(["batch", listing, "--to", "en", *models, "-o", tmp_path / "m", *NO_MEMORY])
    assert res.code == 0, res.err
    assert sorted(_files(tmp_path / "m")) == ["notes.en.md", "page.en.html"]
    table = tmp_path / "list.csv"
    table.write_text("id,path\n1,archive/notes.md\n", encoding="utf-8")
    res = cli(["batch", table, "--to", "en", *models, "-o", tmp_path / "c", *NO_MEMORY])
    assert res.code == 0 and list(_files(tmp_path / "c")) == ["notes.en.md"], res.err


def test_bad_usage_is_one_line_and_exit_2(cli, tmp_path):
    res = cli(["batch", tmp_path / "missing", "-o", tmp_path / "out"])
    assert res.code == 2 and "no such file, folder or pattern" in res.err
    res = cli(["batch", tmp_path, "-o", tmp_path / "out", "--workers", "2"])
    assert res.code == 2 and "--workers needs --ray" in res.err
    assert "Traceback" not in res.err


def test_ray_missing_names_the_extra(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    res = cli(["batch", tmp_path, "-o", tmp_path / "out", "--ray", "auto"])
    assert res.code == 3 and "pip install dilmanc[ray]" in res.err
    assert len(res.err.strip().splitlines()) == 1


def _twice_with_memory(cli, models, archive: Path, tmp_path: Path, *extra) -> list[dict]:
    """Two batch runs of `archive` into fresh output folders through one SQLite memory;
    each run's report."""
    reports = []
    for run in ("first", "second"):
        report = tmp_path / f"{run}.json"
        args = ["batch", archive, "--to", "en,ru", *models, "-o", tmp_path / run, "-q"]
        res = cli([*args, "--tm", tmp_path / "memory.db", "--report", report, *extra])
        assert res.code == 0, res.err
        reports.append(json.loads(report.read_text()))
    assert _files(tmp_path / "first") == _files(tmp_path / "second")
    return reports


def test_second_run_over_an_archive_is_served_from_the_cache(cli, models, tmp_path):
    archive = _archive(tmp_path / "archive")
    first, second = _twice_with_memory(cli, models, archive, tmp_path)
    assert first["cache_new"] > 0 and first["done"] == second["done"] == 4
    assert second["cache_new"] == 0 and second["cache_hits"] >= first["cache_new"]


CORPUS = [
    {"id": 7, "text": SENTENCES[0]},
    {"id": "b", "text": f"{SENTENCES[1]} {SENTENCES[2]}\n\n{SENTENCES[3]}"},
    {"id": 3, "text": SENTENCES[2]},
]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def _translations(cli, models, texts: list[str]) -> dict[str, list[str]]:
    """What `dilmanc translate` (stdin) writes for each text, per target."""
    out = {}
    for iso, model in (("en", models[1]), ("ru", models[3].split("=", 1)[1])):
        runs = [cli(["translate", "--to", iso, "-m", model, *NO_MEMORY], stdin=t) for t in texts]
        assert all(r.code == 0 for r in runs), [r.err for r in runs]
        out[iso] = [r.out for r in runs]
    return out


def test_a_corpus_of_texts_translates_by_id_and_resumes(cli, models, tmp_path):
    corpus = _jsonl(tmp_path / "corpus.jsonl", CORPUS)
    out = tmp_path / "out"
    args = ["batch", corpus, "--to", "en,ru", *models, "-o", out, *NO_MEMORY[:2]]
    res = cli(args)
    assert res.code == 0 and "3 done, 0 skipped" in res.err, res.err
    result = out / "corpus.translated.jsonl"
    rows = [json.loads(line) for line in result.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == [7, "b", 3]
    assert all(set(r) == {"id", "en", "ru"} for r in rows)
    expected = _translations(cli, models, [r["text"] for r in CORPUS])
    assert [r["en"] for r in rows] == [t.rstrip("\n") for t in expected["en"]]
    assert [r["ru"] for r in rows] == [t.rstrip("\n") for t in expected["ru"]]

    edited = [CORPUS[0], {"id": "b", "text": SENTENCES[0]}, CORPUS[2], {"id": 9, "text": "Salam."}]
    _jsonl(corpus, edited)
    again = cli(args)  # only the edited text and the new one are translated
    assert again.code == 0 and "2 done, 2 skipped" in again.err, again.err
    rows = [json.loads(line) for line in result.read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == [7, "b", 3, 9]
    assert rows[1]["en"] == rows[0]["en"] and rows[2]["en"] == expected["en"][2].rstrip("\n")


def test_a_parquet_corpus_writes_a_parquet_table(cli, models, tmp_path):
    arrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    rows = [{"id": str(row["id"]), "text": row["text"]} for row in CORPUS]
    source = tmp_path / "news.parquet"
    parquet.write_table(arrow.Table.from_pylist(rows), source)
    jsonl = _jsonl(tmp_path / "news.jsonl", rows)
    for corpus, out in ((source, tmp_path / "p"), (jsonl, tmp_path / "j")):
        res = cli(["batch", corpus, "--to", "en,ru", *models, "-o", out, *NO_MEMORY])
        assert res.code == 0, res.err
    table = parquet.read_table(tmp_path / "p" / "news.translated.parquet")
    assert table.column_names == ["id", "en", "ru"]
    lines = (tmp_path / "j" / "news.translated.jsonl").read_text("utf-8").splitlines()
    assert table.to_pylist() == [json.loads(line) for line in lines]


def test_a_bad_corpus_is_one_line_and_exit_2(cli, tmp_path):
    corpus = _jsonl(tmp_path / "c.jsonl", [CORPUS[0], {"id": 7, "text": "again"}])
    res = cli(["batch", corpus, "-o", tmp_path / "out"])
    assert res.code == 2 and "id 7 appears twice" in res.err and "Traceback" not in res.err
    assert not (tmp_path / "out" / "c.translated.jsonl").exists()


# --- on a local Ray cluster ----------------------------------------------------------------


@pytest.fixture
def ray_cluster():
    """A local Ray cluster of 2 CPUs, started after the test's environment is set (its
    workers inherit DILMANC_HOME and HF_HUB_OFFLINE)."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install dilmanc[ray])")
    pytest.importorskip("ray.data", reason="Ray Data is not installed")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_batch_writes_what_translate_writes(cli, models, reference, ray_cluster, tmp_path):
    archive = _archive(tmp_path / "archive")
    out = tmp_path / "out"
    args = ["batch", archive, "--to", "en,ru", *models, "-o", out, "--no-cache", "--no-tm"]
    res = cli([*args, "--ray", "auto", "--workers", "2", "--report", tmp_path / "r.json"])
    assert res.code == 0, res.err
    assert _files(out) == reference(archive)
    summary = json.loads((tmp_path / "r.json").read_text())
    assert summary["done"] == 4 and summary["workers"] == {"actors": 2, "threads": 1, "cpus": 2}


def _actor_pids() -> list[int]:
    """Processes of Ray Data's map actors (their title names the actor class)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"MapWorker" in title:
                pids.append(int(entry.name))
    return pids


def test_ray_worker_killed_mid_run_then_rerun_is_complete_and_exact(
    cli, models, reference, ray_cluster, tmp_path
):
    archive = tmp_path / "archive"
    archive.mkdir()
    for number in range(24):
        lines = [f"{SENTENCES[i % 4]} Sənəd {number}, cümlə {i}." for i in range(12)]
        (archive / f"doc{number:02}.az.txt").write_text("\n\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "out"
    killed: list[tuple[int, int]] = []  # (pid, outputs present when it was killed)

    def kill_one_actor() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            present = len(list(out.glob("*.txt"))) if out.exists() else 0
            pids = _actor_pids()
            if present >= 2 and pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append((pids[0], present))
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_actor)
    killer.start()
    args = ["batch", archive, "--to", "en,ru", *models, "-o", out, "--no-cache", "--no-tm"]
    first = cli([*args, "--ray", "auto", "--workers", "2"])
    killer.join()
    assert killed and killed[0][1] < 48, "the actor was not killed while the run went on"
    # Ray restarts the actor and retries its item; whatever the first run did not finish, the
    # second does, and an item is never translated twice into different files.
    second = cli([*args, "--ray", "auto", "--workers", "2"])
    assert second.code == 0, (first.err, second.err)
    assert _files(out) == reference(archive)
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
    done = [r["item"] for r in _manifest(out) if r["status"] == "done"]
    assert sorted(set(done)) == sorted(done) and len(done) == 24


def test_ray_actors_send_cache_entries_to_the_driver(cli, models, ray_cluster, tmp_path):
    from dilmanc.memory import Memory

    archive = _archive(tmp_path / "archive")
    ray_args = ("--ray", "auto", "--workers", "2")
    first, second = _twice_with_memory(cli, models, archive, tmp_path, *ray_args)
    assert first["cache_new"] > 0 and first["done"] == second["done"] == 4
    assert second["cache_new"] == 0 and second["cache_hits"] >= first["cache_new"]
    with Memory.open(tmp_path / "memory.db") as memory:  # merged by the driver
        assert 0 < len(list(memory.cache_entries())) <= first["cache_new"]


def test_ray_translates_a_corpus_in_batches_of_texts(cli, models, ray_cluster, tmp_path):
    corpus = _jsonl(tmp_path / "corpus.jsonl", CORPUS)
    outputs = []
    for out, extra in ((tmp_path / "local", ()), (tmp_path / "ray", ("--ray", "auto"))):
        res = cli(["batch", corpus, "--to", "en,ru", *models, "-o", out, *NO_MEMORY, *extra])
        assert res.code == 0, res.err
        outputs.append((out / "corpus.translated.jsonl").read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") == 3
