"""Real-world files (tests/corpus and ../shared/corpus, provenance in
tests/corpus/PROVENANCE.md) through `dilmanc translate`, checked by independent tools (issue 17,
"How to test it for real"): python-docx, lxml, markdown-it, `msgfmt -c` and translate-toolkit,
srt and webvtt-py. Each file is translated twice: with the copy model, and with a model that
copies the words and loses every tag (so every tag and placeholder goes back by the fallback).

Every check is a property the output must have whatever the model returns: the structure
counts of the input, no nested links, no fragment of the `<g1>`/`<x2/>` syntax in visible
text, every placeholder of a source exactly as often in its translation, no empty cue.

The corpus is English (public test files); the English pass-through rule would keep nearly
all of it unchanged, so it is switched off here and every sentence goes to the model.
PO and XLIFF files are staged with their target language set to en (they were written for
other languages) and translated with --overwrite.

Held-out files (a `heldout*` folder) are for a last measurement only and are left out of the
main run: `DILMANC_CORPUS=heldout pytest tests/test_corpus.py` runs tests/corpus/heldout,
`DILMANC_CORPUS=<folder>` the files of any folder (such as ../shared/corpus/heldout3)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import SHARED

from dilmanc.text import segment

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).parent / "corpus"
# More files kept out of the repository, in ../shared/corpus (provenance in PROVENANCE.md)
SHARED_CORPUS = SHARED / "corpus"
_CHOSEN = os.environ.get("DILMANC_CORPUS", "")
# DILMANC_CORPUS=heldout: tests/corpus/heldout; DILMANC_CORPUS=<folder>: the files of that folder
if _CHOSEN:
    ROOTS = [CORPUS / "heldout" if _CHOSEN == "heldout" else Path(_CHOSEN)]
else:
    ROOTS = [CORPUS, SHARED_CORPUS]
FILES = sorted(
    path
    for root in ROOTS
    if root.is_dir()
    for path in root.rglob("*")
    if path.is_file()
    and path.name != "PROVENANCE.md"
    and (_CHOSEN or not any(p.startswith("heldout") for p in path.relative_to(root).parts))
)


def _name(path: Path) -> str:
    """A file's test id: its path under its corpus folder (`shared/` for ../shared/corpus)."""
    for root in ROOTS:
        if path.is_relative_to(root):
            prefix = "shared/" if root == SHARED_CORPUS else ""
            return prefix + str(path.relative_to(root))
    raise ValueError(path)


# Fragments of the tag syntax dilmanc sends to models, escaped or not.
DEBRIS = re.compile(r"</?g\d|<x\d|&lt;/?[gx]\d|[gx]\d+/?&gt;|\b[gx]\d+/?>")
# Placeholders, written independently of dilmanc.text.placeholders.
PLACEHOLDER = re.compile(
    r"%[A-Za-z_][\w.]*\w%(?![\w%])"  # Symfony %count% (before printf's %c)
    r"|%(?:\([\w.]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGcou]"  # printf, %(name)s
    r"|%\d+\$[sd@]|%@"  # positional printf, iOS
    r"|\{\{[^{}]+\}\}|\$\{[^{}]+\}|\{[\w.]*\}"  # {{ x }}, ${x}, {0}, {name}
    r"|:[\w:+-]+:`[^`]+`|`[^`]+`__?|\|[\w-]+\|"  # reStructuredText roles, links, substitutions
)
XLIFF_INLINE = {"g", "x", "bx", "ex", "bpt", "ept", "ph", "it", "pc", "sc", "ec", "mrk", "sm", "em"}


def _stage(source: Path, folder: Path) -> Path:
    """A copy of `source` to translate into en: PO and XLIFF get en as their target."""
    target = folder / source.parent.name / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.suffix == ".po":
        text = source.read_text(encoding="utf-8")
        target.write_text(re.sub(r'"Language: [\w-]+\\n"', r'"Language: en\\n"', text), "utf-8")
    elif source.suffix == ".xlf":
        data = source.read_bytes()
        data = re.sub(rb'(target-language|trgLang)="[^"]*"', rb'\1="en"', data)
        target.write_bytes(data)
    else:
        shutil.copyfile(source, target)
    return target


def _lose_tags(text: str) -> str:
    """A model that copies the words and loses every tag it is sent: the tags and
    placeholders go back by the fallback."""
    return " ".join(TAG.sub(" ", text).split())


TAG = re.compile(r"</?[gx]\d+\s*/?>")
MODELS = ["copy", "tags-lost"]


@pytest.fixture(scope="module", params=MODELS)
def translated(request, copy_marian_ct2_dir, tmp_path_factory) -> dict[Path, tuple[Path, Path]]:
    """Every corpus file → (staged input, translation), from one `dilmanc translate` run with
    the copy model, or with a model that loses every tag."""
    from doubles import ScriptedEngine, use_for_every_model

    from dilmanc.cli import main

    work = tmp_path_factory.mktemp("corpus")
    staged = {_stage(path, work / "in"): path for path in FILES}
    report = work / "report.json"
    args = ["translate", *staged, "--to", "en", "--model", copy_marian_ct2_dir]
    args += ["-o", work / "out", "--no-cache", "--no-tm", "--overwrite", "-q"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("DILMANC_HOME", str(work / "home"))
        patch.setattr(segment, "_reads_as_english", lambda text, line_is_english=False: False)
        if request.param == "tags-lost":
            use_for_every_model(patch, ScriptedEngine(_lose_tags))
        code = main([str(a) for a in [*args, "--report", report]])
    assert code == 0
    documents = json.loads(report.read_text(encoding="utf-8"))["documents"]
    return {
        staged[Path(doc["input"])]: (Path(doc["input"]), Path(doc["outputs"][0]))
        for doc in documents
    }


@pytest.mark.parametrize("path", FILES, ids=[_name(p) for p in FILES])
def test_corpus_file(translated, path):
    source, output = translated[path]
    problems = CHECKS[path.suffix](source, output)
    assert not problems, f"{_name(path)}:\n  " + "\n  ".join(problems)


def _placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


def _compare_placeholders(where: str, source: str, target: str) -> list[str]:
    want, got = _placeholders(source), _placeholders(target)
    if want == got:
        return []
    return [f"{where}: placeholders {dict(want)} became {dict(got)} in {target!r}"]


def _debris(where: str, text: str) -> list[str]:
    found = DEBRIS.findall(text)
    return [f"{where}: tag debris {found} in {text[:200]!r}"] if found else []


# --- DOCX -----------------------------------------------------------------------------------


def _docx_parts(path: Path) -> dict:
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(str(path))
    body = document.element.body
    return {
        "paragraphs": len(body.findall(".//" + qn("w:p"))),
        "tables": len(body.findall(".//" + qn("w:tbl"))),
        "hyperlinks": len(body.findall(".//" + qn("w:hyperlink"))),
        "nested links": len(body.xpath(".//w:hyperlink//w:hyperlink")),
        "fields": len(body.xpath(".//w:fldSimple | .//w:fldChar")),
        "notes": len(body.xpath(".//w:footnoteReference | .//w:endnoteReference")),
        "text": "\n".join(body.xpath(".//w:t/text()")),
    }


def check_docx(source: Path, output: Path) -> list[str]:
    before, after = _docx_parts(source), _docx_parts(output)
    problems = [
        f"{name}: {before[name]} → {after[name]}"
        for name in before
        if name != "text" and before[name] != after[name]
    ]
    return problems + _debris("text", after["text"])


# --- HTML -----------------------------------------------------------------------------------


def check_html(source: Path, output: Path) -> list[str]:
    import lxml.html

    before = lxml.html.fromstring(source.read_bytes())
    after = lxml.html.fromstring(output.read_bytes())
    return _check_html_trees(before, after, output.read_text("utf-8"))


def _check_html_trees(before, after, markup: str) -> list[str]:
    problems = []
    if after.xpath("//a//a"):
        problems.append(f"{len(after.xpath('//a//a'))} nested links")
    for name in ("a", "p", "li", "td", "img", "code"):
        if len(before.xpath(f"//{name}")) != len(after.xpath(f"//{name}")):
            count = len(before.xpath(f"//{name}")), len(after.xpath(f"//{name}"))
            problems.append(f"<{name}> count {count[0]} → {count[1]}")
    for link in after.xpath("//a[@href]"):
        if not link.text_content().strip() and not link.xpath(".//img | .//svg"):
            problems.append(f"empty link {link.get('href')!r}")
    text = after.text_content()
    return problems + _debris("text", text) + _debris("markup", markup)


# --- Markdown -------------------------------------------------------------------------------


def check_markdown(source: Path, output: Path) -> list[str]:
    """Both files rendered to HTML (CommonMark + GFM tables), then the HTML checks, and no
    code span swallowed or merged: the same number of `<code>` elements."""
    import lxml.html
    from markdown_it import MarkdownIt

    def render(path: Path):
        parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
        return lxml.html.fromstring(f"<div>{parser.render(path.read_text('utf-8-sig'))}</div>")

    return _check_html_trees(render(source), render(output), output.read_text("utf-8-sig"))


# --- PO -------------------------------------------------------------------------------------


def check_po(source: Path, output: Path) -> list[str]:
    from translate.storage import pypo

    problems = []
    if shutil.which("msgfmt"):
        run = subprocess.run(["msgfmt", "-c", "-o", os.devnull, str(output)], capture_output=True)
        if run.returncode:
            problems.append(f"msgfmt -c: {run.stderr.decode().strip()}")
    for unit in pypo.pofile(output.read_bytes()).units:
        if unit.isheader() or unit.isobsolete():
            continue
        sources = unit.source.strings if unit.hasplural() else [unit.source]
        targets = unit.target.strings if unit.hasplural() else [unit.target]
        for n, target in enumerate(targets):
            original = sources[min(n, len(sources) - 1)]
            where = f"msgid {original[:60]!r}"
            if original.strip() and not target.strip():
                problems.append(f"{where}: empty msgstr[{n}]")
            problems += _compare_placeholders(where, original, target)
            problems += _debris(where, target)
    return problems


# --- XLIFF ----------------------------------------------------------------------------------


def _inline(element) -> Counter:
    return Counter(
        (child.tag.split("}")[-1], child.get("id"))
        for child in element.iter()
        if child is not element and child.tag.split("}")[-1] in XLIFF_INLINE
    )


def check_xliff(source: Path, output: Path) -> list[str]:
    from lxml import etree

    root = etree.parse(str(output)).getroot()
    problems = []
    pairs = root.xpath("//*[local-name()='trans-unit' or local-name()='segment']")
    for pair in pairs:
        src = pair.xpath("./*[local-name()='source']")
        tgt = pair.xpath("./*[local-name()='target']")
        where = f"unit {pair.get('id') or pair.getparent().get('id')}"
        if not src:
            continue
        if not tgt:
            problems.append(f"{where}: no target")
            continue
        text_in, text_out = "".join(src[0].itertext()), "".join(tgt[0].itertext())
        if text_in.strip() and not text_out.strip() and not len(tgt[0]):
            problems.append(f"{where}: empty target")
        if _inline(src[0]) != _inline(tgt[0]):
            problems.append(f"{where}: inline {dict(_inline(src[0]))} → {dict(_inline(tgt[0]))}")
        problems += _compare_placeholders(where, text_in, text_out)
        problems += _debris(where, text_out)
    if len(pairs) != len(etree.parse(str(source)).getroot().xpath("//*[local-name()='source']")):
        problems.append("unit count changed")
    return problems


# --- subtitles ------------------------------------------------------------------------------


def check_srt(source: Path, output: Path) -> list[str]:
    import srt

    before = list(srt.parse(source.read_text("utf-8-sig")))
    after = list(srt.parse(output.read_text("utf-8-sig")))
    return _check_cues([_cue(c, c.content) for c in before], [_cue(c, c.content) for c in after])


def check_vtt(source: Path, output: Path) -> list[str]:
    import webvtt

    before, after = webvtt.read(str(source)), webvtt.read(str(output))
    return _check_cues([_cue(c, c.raw_text) for c in before], [_cue(c, c.raw_text) for c in after])


def _cue(cue, text: str) -> tuple:
    return cue.start, cue.end, text


def _check_cues(before: list, after: list) -> list[str]:
    if [cue[:2] for cue in before] != [cue[:2] for cue in after]:
        return [f"cue timings changed: {len(before)} cues → {len(after)}"]
    problems = []
    for (start, _, text_in), (_, _, text_out) in zip(before, after, strict=True):
        where = f"cue at {start}"
        if text_in.strip() and not text_out.strip():
            problems.append(f"{where}: empty cue (source {text_in!r})")
        if text_in.count("\n") < text_out.count("\n"):
            problems.append(f"{where}: {text_in.count(chr(10)) + 1} lines → more: {text_out!r}")
        problems += _debris(where, text_out)
    return problems


CHECKS = {
    ".docx": check_docx,
    ".html": check_html,
    ".md": check_markdown,
    ".po": check_po,
    ".xlf": check_xliff,
    ".srt": check_srt,
    ".vtt": check_vtt,
}
