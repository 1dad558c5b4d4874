"""Tag placement by word alignment, on hand-made pieces and attention (engine-free)."""

from __future__ import annotations

from dilmanc.text.align import piece_spans, place_tags, word_alignment
from dilmanc.text.tagged import CLOSE, EMPTY, OPEN, Tag, TaggedText, check

SOURCE = TaggedText.from_parts(
    ["Bu ", Tag(1, OPEN), "böyük", Tag(1, CLOSE), " şəhərdir", Tag(2, EMPTY)]
)


def test_piece_spans_decode_bytes_and_skip_specials():
    text, spans = piece_spans(["azj_Latn", "▁B", "<0xC3>", "<0xA7>", "u", "</s>"])
    assert text == " Bçu"
    assert spans == [None, (0, 2), (2, 3), (2, 3), (3, 4), None]


def test_tags_follow_the_attention_onto_reordered_words():
    # source pieces as a Marian model reads the rendered source (tags are pieces too)
    src = [
        "▁Bu",
        "▁<",
        "g",
        "1",
        ">",
        "böyük",
        "</",
        "g",
        "1",
        ">",
        "▁şəhərdir",
        "<",
        "x",
        "2",
        "/>",
        "</s>",
    ]
    out_plain = "This city is big"
    tgt = ["▁This", "▁city", "▁is", "▁big"]
    # each output word attends to one source piece: This→Bu, city→şəhərdir, is→şəhərdir, big→böyük
    columns = {0: 0, 1: 10, 2: 10, 3: 5}
    attention = [[1.0 if j == columns[i] else 0.0 for j in range(len(src))] for i in range(4)]
    alignment = word_alignment(SOURCE, src, out_plain, out_plain, tgt, attention)
    assert alignment == [0, 2, 2, 1]
    placed = place_tags(SOURCE, out_plain, alignment)
    assert placed.tagged.render() == "This city is <g1>big</g1><x2/>"
    assert placed.fallback == 0


def test_no_alignment_puts_pairs_around_the_sentence_and_counts_fallbacks():
    placed = place_tags(SOURCE, "Something else entirely.", None)
    assert placed.tagged.render() == "<g1>Something else entirely.</g1><x2/>"
    assert placed.fallback == 2  # the pair; a tag after the last word needs no alignment
    assert not check(placed.tagged, SOURCE.tag_set())


def test_crossing_alignments_still_nest():
    src_text = TaggedText.from_parts(
        [Tag(1, OPEN), "a ", Tag(2, OPEN), "b", Tag(1, CLOSE), " c", Tag(2, CLOSE)]
    )  # crossing in the source cannot happen; nested pairs mapped to crossing words can
    nested = TaggedText.from_parts(
        [Tag(1, OPEN), "a ", Tag(2, OPEN), "b", Tag(2, CLOSE), Tag(1, CLOSE), " c"]
    )
    placed = place_tags(nested, "x y z", [1, 2, 0])
    assert not check(placed.tagged, nested.tag_set())
    assert src_text.tag_set() == nested.tag_set()


ONE_WORD_SOURCE = TaggedText.from_parts(
    ["Tədbirdə ", Tag(1, OPEN), "BMqT", Tag(1, CLOSE), "-nin nümayəndəsi ", Tag(2, OPEN),
     "insan alveri", Tag(2, CLOSE), " barədə ", Tag(3, OPEN), "danışdı", Tag(3, CLOSE), "."]
)  # fmt: skip


def test_pairs_that_fall_onto_one_word_all_nest_on_it():
    # no alignment, an alignment to an untagged word, one to a tagged word, an unaligned word
    for alignment in (None, [0], [3], [None]):
        placed = place_tags(ONE_WORD_SOURCE, "Meeting.", alignment)
        assert placed.tagged.text == "Meeting."
        assert not check(placed.tagged, ONE_WORD_SOURCE.tag_set()), alignment
        assert placed.tagged.render() == "<g1><g2><g3>Meeting.</g3></g2></g1>", alignment
