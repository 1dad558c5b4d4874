"""The review workspace (issue 20): jobs made through the service layer, approvals into the
translation memory, exports, and keys with roles (through FastAPI's test client)."""

from __future__ import annotations

import io
import json
import re

import docx
import pytest
from doubles import DictEngine, use_for_every_model
from fastapi.testclient import TestClient
from review_fixtures import CORRECTIONS, GOOD, MEMORY_UNIT, compact, make_service, write_docx

from dilmanc.memory import Memory
from dilmanc.review.jobs import JobStore
from dilmanc.review.make import from_report, translate_file
from dilmanc.review.web import COOKIE, review_app


@pytest.fixture
def engine(monkeypatch):
    return use_for_every_model(monkeypatch, DictEngine(dict(GOOD)))


@pytest.fixture
def made(engine, tmp_path):
    service = make_service(tmp_path / "tm.db", engine)
    store = JobStore(tmp_path / "jobs")
    job = translate_file(store, service, write_docx(tmp_path / "r.az.docx"), "en", owner=None)
    yield store, service, job
    service.close()


def test_a_docx_job_holds_statuses_verdicts_and_tags(made):
    _, _, job = made
    assert [s.status for s in job.segments] == ["needs-review", "machine"] * 2
    assert [s.verdict for s in job.segments] == ["bad", "ok", "bad", "ok"]
    assert "untranslated" in job.segments[0].reasons
    assert job.segments[0].source == "Dünən şəhərdə <g1>yeni</g1> körpü açıldı."


def test_approvals_reach_the_memory_and_the_exported_docx(made, engine, cli, tmp_path):
    store, service, job = made
    client = TestClient(review_app(store, service))
    page = client.get(f"/review/jobs/{job.id}")
    assert page.status_code == 200 and 'data-tag="&lt;g1&gt;"' in page.text
    for index, parts in CORRECTIONS.items():
        answer = client.post(
            f"/review/jobs/{job.id}/segments/{index}",
            json={"target": compact(parts), "approve": True},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "approved"
    service.close()
    exported = client.get(f"/review/jobs/{job.id}/export?kind=document")
    assert exported.status_code == 200
    paragraphs = docx.Document(io.BytesIO(exported.content)).paragraphs
    assert paragraphs[0].text == "Yesterday a new bridge opened in the city."
    assert [r.text for r in paragraphs[0].runs if r.bold] == ["new"]
    assert [r.text for r in paragraphs[2].runs if r.bold] == ["Baku"]
    with Memory.open(tmp_path / "tm.db") as memory:
        (match,) = memory.lookup(compact(("Nazir ", "Bakıda", " çıxış etdi.")), "az", "en")
    assert match.kind in ("exact", "context") and match.unit.origin == "review"
    assert match.target == compact(CORRECTIONS[2])
    # a second run with the same memory takes the approved targets from it
    engine.calls.clear()
    out, report = tmp_path / "out", tmp_path / "report.json"
    source = tmp_path / "r.az.docx"
    args = ["translate", source, "--to", "en", "-m", "double", "--tm", tmp_path / "tm.db"]
    result = cli([*args, "-o", out, "--report", report, "--no-cache", "-q"])
    assert result.code == 0, result.err
    sent = [text for _, batch in engine.calls for text in batch]
    assert not any("Dünən" in text or "Nazir" in text for text in sent), sent
    again = docx.Document(out / "r.en.docx").paragraphs
    assert again[2].text == "The minister spoke in Baku."
    assert [r.text for r in again[2].runs if r.bold] == ["Baku"]


def test_a_target_with_broken_tags_is_refused(made):
    store, service, job = made
    client = TestClient(review_app(store, service))
    answer = client.post(
        f"/review/jobs/{job.id}/segments/0", json={"target": "No tags here.", "approve": True}
    )
    assert answer.status_code == 400 and "tags" in answer.text
    assert store.get(job.id, None).segments[0].status == "needs-review"


def test_the_page_shows_memory_matches_with_a_diff_and_marks_glossary_terms(engine, tmp_path):
    from dilmanc.memory import TMUnit
    from dilmanc.pipeline.service import Service
    from dilmanc.pipeline.settings import Settings

    with Memory.open(tmp_path / "tm.db") as memory:
        memory.add_units([TMUnit(*MEMORY_UNIT, "az", "en")])
    glossary = tmp_path / "g.tsv"
    glossary.write_text("id\taz\ten\nbridge\tkörpü\tbridge\n", encoding="utf-8")
    settings = Settings(
        targets=("en",),
        models=("double",),
        memory=str(tmp_path / "tm.db"),
        glossaries=(str(glossary),),
    )
    store = JobStore(tmp_path / "jobs")
    with Service(settings) as service:
        job = translate_file(store, service, write_docx(tmp_path / "r.az.docx"), "en", owner=None)
        page = TestClient(review_app(store, service)).get(f"/review/jobs/{job.id}").text
    (match,) = job.segments[2].matches
    assert (match["kind"], match["score"], match["target"]) == ("fuzzy", 80.0, MEMORY_UNIT[1])
    assert [s.matches for s in job.segments if s is not job.segments[2]] == [[], [], []]
    row = page.split('id="seg-2"')[1].split("</tr>")[0]
    assert '<span class="pct">80%</span> fuzzy' in row
    assert re.search(r"<del>(<span[^>]*>[^<]*</span>)?\s?dünən\s?</del>", row)
    assert 'data-match="1" aria-keyshortcuts="Alt+1"' in row
    assert "The minister spoke in" in row and 'class="match-target"' in row
    source = page.split('id="src-0"')[1].split("</div>")[0]
    assert re.search(
        r'<mark class="term" title="[^"]*required rendering: bridge"[^>]*>körpü</mark>', source
    )
    assert 'aria-label="körpü (glossary term, required rendering: bridge)"' in source
    assert 'id="tags-0"' in page


def test_the_diff_marks_what_only_the_match_or_only_the_source_has():
    from dilmanc.review.web import diff

    html = str(diff("Nazir dünən <g1>Bakıda</g1> çıxış etdi.", "Nazir <g1>Gəncədə</g1> danışdı."))
    plain = re.sub(r'<span class="sr-only">[^<]*</span>', "", html)
    assert re.search(r"<del>\s?dünən\s?</del>", plain)
    assert "<del>Bakıda</del><ins>Gəncədə</ins>" in plain
    assert "<del>çıxış etdi</del><ins>danışdı</ins>" in plain
    assert plain.count('data-tag="&lt;g1&gt;"') == 1  # an unchanged tag shown once, as a chip
    assert "<ins>" not in str(diff("Eyni mətn.", "Eyni mətn."))


def test_xliff_and_tmx_exports(made):
    store, service, job = made
    client = TestClient(review_app(store, service))
    client.post(
        f"/review/jobs/{job.id}/segments/0",
        json={"target": compact(CORRECTIONS[0]), "approve": True},
    )
    xliff = client.get(f"/review/jobs/{job.id}/export?kind=xliff").text
    assert xliff.count("<trans-unit") == 4 and 'state="signed-off"' in xliff
    assert 'state="needs-review-translation"' in xliff
    tmx = client.get(f"/review/jobs/{job.id}/export?kind=tmx").text
    assert len(re.findall(r"<tu[\s>]", tmx)) == 1 and "bridge opened" in tmx


class Keys:
    """The keys object the router asks: token → key with name and roles."""

    def __init__(self, **keys) -> None:
        self.keys = keys

    def lookup(self, token):
        return self.keys.get(token)


class Key:
    def __init__(self, name, roles):
        self.name, self.roles = name, roles


def test_roles_and_owners(made, tmp_path):
    store, service, _ = made
    keys = Keys(
        tr=Key("alice", ("translate",)),
        rv=Key("bob", ("translate", "reviewer")),
        other=Key("carol", ("translate", "reviewer")),
    )
    client = TestClient(review_app(store, service, keys=keys))
    assert client.get("/review/").status_code == 200  # the sign-in form
    jobs = {}
    for token in ("tr", "rv"):
        client.cookies.set(COOKIE, token)
        with (tmp_path / "r.az.docx").open("rb") as handle:
            answer = client.post(
                "/review/jobs",
                files={"file": ("r.az.docx", handle)},
                data={"target": "en"},
                follow_redirects=False,
            )
        assert answer.status_code == 303, answer.text
        jobs[token] = answer.headers["location"].rsplit("/", 1)[1]
    body = {"target": compact(CORRECTIONS[0]), "approve": True}
    client.cookies.set(COOKIE, "tr")
    refused = client.post(f"/review/jobs/{jobs['tr']}/segments/0", json=body)
    assert refused.status_code == 403 and "reviewer" in refused.text
    assert client.get(f"/review/jobs/{jobs['tr']}").status_code == 200
    client.cookies.set(COOKIE, "other")  # another key sees nothing of bob's job
    assert client.get(f"/review/jobs/{jobs['rv']}").status_code == 404
    assert client.post(f"/review/jobs/{jobs['rv']}/segments/0", json=body).status_code == 404
    assert jobs["rv"] not in client.get("/review/").text
    client.cookies.set(COOKIE, "rv")
    assert client.post(f"/review/jobs/{jobs['rv']}/segments/0", json=body).status_code == 200
    client.cookies.set(COOKIE, "wrong")
    assert client.get(f"/review/jobs/{jobs['rv']}").status_code == 403


def test_keys_file_roles_are_read_and_old_files_mean_translate(tmp_path):
    from dilmanc.errors import InputError, UsageError
    from dilmanc.server.auth import KeyStore

    path = tmp_path / "keys.json"
    store = KeyStore.load(path, create=True)
    reviewer = store.add("bob", roles=("translate", "reviewer"))
    translator = store.add("alice")
    assert store.lookup(reviewer).roles == ("translate", "reviewer")
    assert store.lookup(translator).roles == ("translate",)
    data = json.loads(path.read_text())
    del data["keys"][1]["roles"]  # a file written before roles existed
    path.write_text(json.dumps(data))
    assert KeyStore.load(path).lookup(translator).roles == ("translate",)
    with pytest.raises(UsageError):
        store.add("eve", roles=("admin",))
    data["keys"][0]["roles"] = ["admin"]
    path.write_text(json.dumps(data))
    with pytest.raises(InputError):
        KeyStore.load(path)


def test_a_job_from_a_translate_report(engine, cli, tmp_path):
    source = write_docx(tmp_path / "r.az.docx")
    out, report = tmp_path / "out", tmp_path / "report.json"
    args = ["translate", source, "--to", "en", "-m", "double", "--tm", tmp_path / "tm.db"]
    assert cli([*args, "-o", out, "--report", report, "-q"]).code == 0
    job = from_report(JobStore(tmp_path / "jobs"), report, owner=None)
    assert [s.verdict for s in job.segments] == ["bad", "ok", "bad", "ok"]
    assert job.segments[1].target == "Hello."
    assert job.segments[0].status == "needs-review"


def test_serve_mounts_the_workspace_with_review(engine, tmp_path):
    from dilmanc.server.app import create_app
    from dilmanc.server.config import ServerConfig

    config = ServerConfig(
        settings=make_service(tmp_path / "tm.db", engine).settings,
        data_dir=tmp_path / "data",
        review=True,
    )
    with TestClient(create_app(config, wait=True)) as client:
        assert "Translate a document for review" in client.get("/review/").text
        assert client.get("/review/static/review.js").status_code == 200
    config.review = False
    with TestClient(create_app(config, wait=True)) as client:
        assert client.get("/review/").status_code == 404


def test_review_cli_refuses_bad_input_in_one_line(cli, tmp_path):
    result = cli(["review", str(tmp_path / "missing.docx"), "-m", "x"])
    assert result.code == 2 and "no such file" in result.err
    assert "Traceback" not in result.err
