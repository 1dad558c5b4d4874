"""`dilmanc tm align SRC TGT`: a document and its human translation become approved units."""

from __future__ import annotations

import docx

from dilmanc.memory import Memory
from dilmanc.memory.align import gale_church, pair_units


def _docx(path, paragraphs):
    document = docx.Document()
    for text in paragraphs:
        paragraph = document.add_paragraph()
        if isinstance(text, tuple):  # (plain, bold, plain)
            paragraph.add_run(text[0])
            paragraph.add_run(text[1]).bold = True
            paragraph.add_run(text[2])
        else:
            paragraph.add_run(text)
    document.save(path)
    return path


AZ = [
    "Nazirlik hesabat dərc etdi. Hesabat 40 səhifədir.",
    "İnsan alverinə qarşı mübarizə gücləndirilir.",
    ("Görüş ", "Bakıda", " keçirildi."),
]
EN = [
    "The ministry published a report. The report is 40 pages long.",
    "The fight against human trafficking is being stepped up.",
    ("The meeting was held ", "in Baku", "."),
]


def test_docx_pair_is_aligned_by_units_then_sentences(cli, tmp_path):
    src = _docx(tmp_path / "release.az.docx", AZ)
    tgt = _docx(tmp_path / "release.en.docx", EN)
    db = tmp_path / "tm.db"
    done = cli(["tm", "align", src, tgt, "--tm", db, "--from", "az", "--to", "en"])
    assert done.code == 0, done.err
    assert done.out.strip() == (
        "4 new unit(s), 0 merged; 4 pair(s) from 3 aligned unit(s) "
        "(2 sentence pair(s), 2 whole unit(s))"
    )
    with Memory.open(db) as mem:
        units = {u.source: u for u in mem.units()}
    assert units["Hesabat 40 səhifədir."].target == "The report is 40 pages long."
    bold = units["Görüş <g1>Bakıda</g1> keçirildi."]
    assert bold.target == "The meeting was held <g1>in Baku</g1>."
    assert bold.origin == "release.az.docx → release.en.docx"
    assert {(u.src_lang, u.tgt_lang) for u in units.values()} == {("az", "en")}


def test_plain_text_with_a_missing_line_reports_what_is_not_paired(cli, tmp_path):
    src = tmp_path / "notes.txt"
    tgt = tmp_path / "notes_en.txt"
    az = [
        "Nazirlik ötən il üçün hesabatını dərc etdi və onu ictimaiyyətə təqdim etdi.",
        "İnsan alverinə qarşı mübarizə gücləndirilir, yeni tədbirlər planı hazırlanıb.",
        "Qeyd.",
        "Görüş Bakıda keçirildi və iştirakçılar bəyanat qəbul etdilər.",
    ]
    en = [
        "The ministry published its report for last year and presented it to the public.",
        "The fight against human trafficking is being stepped up; a new action plan is ready.",
        "The meeting was held in Baku and the participants adopted a statement.",
    ]
    src.write_text("\n".join(az) + "\n", encoding="utf-8")
    tgt.write_text("\n".join(en) + "\n", encoding="utf-8")
    db = tmp_path / "tm.db"
    done = cli(["tm", "align", src, tgt, "--tm", db])
    assert done.code == 0, done.err
    assert done.out.strip().endswith("; not paired: 1 source unit(s), 0 target unit(s)")
    with Memory.open(db) as mem:
        pairs = {u.source: u.target for u in mem.units()}
    assert pairs == {az[0]: en[0], az[1]: en[1], az[3]: en[2]}


def test_gale_church_prefers_length_matches_and_merges():
    assert gale_church([10, 50, 12], [11, 52, 12]) == [([0], [0]), ([1], [1]), ([2], [2])]
    assert gale_church([20, 20, 30], [41, 29]) == [([0, 1], [0]), ([2], [1])]
    # a line missing from the translation: its bead keeps the pair of closest lengths
    assert gale_church([60, 80, 10, 70], [62, 84, 72])[1] == ([1, 2], [1])
    assert pair_units([], []) == []


def test_align_errors_are_one_line(cli, tmp_path):
    src = _docx(tmp_path / "a.docx", AZ)
    txt = tmp_path / "b.txt"
    txt.write_text("Hello.\n", encoding="utf-8")
    mixed = cli(["tm", "align", src, txt, "--tm", tmp_path / "tm.db"])
    assert mixed.code == 2 and "align two files of one format" in mixed.err
    assert len(mixed.err.strip().splitlines()) == 1
    docx.Document().save(tmp_path / "empty.docx")
    nothing = cli(["tm", "align", src, tmp_path / "empty.docx", "--tm", tmp_path / "tm.db"])
    assert nothing.code == 2 and "nothing to align" in nothing.err
    assert not (tmp_path / "tm.db").exists()
    bad = cli(["tm", "align", txt, txt, "--from", "xx-!!"])
    assert bad.code == 2 and "--from 'xx-!!' is not a language code" in bad.err
