"""Tag placement by word alignment, on hand-made pieces and attention (engine-free)."""

from __future__ import annotations

from dilmanc.text.align import drop_spans, piece_spans, place_tags, word_alignment
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


def test_no_alignment_puts_pairs_in_proportion_and_counts_fallbacks():
    placed = place_tags(SOURCE, "Something else entirely.", None)
    # the pair's word sits where its source word sat (it used to wrap the whole sentence)
    assert placed.tagged.render() == "Something <g1>else</g1> entirely.<x2/>"
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


def test_an_output_without_words_keeps_every_tag():
    for output in ("", "   "):
        placed = place_tags(ONE_WORD_SOURCE, output, None)
        assert not check(placed.tagged, ONE_WORD_SOURCE.tag_set())


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


def _links(names: list[str], separator: str = " | ") -> TaggedText:
    """`<g1>name</g1><g2> | </g2><g3>name</g3>…`: a footer of sibling links."""
    parts: list = []
    for index, name in enumerate(names):
        if index:
            parts += [Tag(2 * index, OPEN), separator, Tag(2 * index, CLOSE)]
        parts += [Tag(2 * index + 1, OPEN), name, Tag(2 * index + 1, CLOSE)]
    return TaggedText.from_parts(parts)


def _assert_source_structure(placed: TaggedText, source: TaggedText) -> None:
    """Same tags in the same order (so the same nesting), every pair around some text."""
    assert not check(placed, source.tag_set())
    assert [tag for _, tag in placed.tags] == [tag for _, tag in source.tags]
    for start, end in placed.pair_spans().values():
        assert placed.text[start:end].strip(), placed.render()


def test_lost_sibling_pairs_go_back_in_source_order_without_wrapping_each_other():
    names = ["Ana səhifə", "Haqqımızda", "Xəbərlər", "Layihələr", "Əlaqə"]
    source = _links(names)
    output = "Home | About us | News | Projects | Contact"
    for alignment in (None, [None] * 9, [0, 1, 2, None, 3, 4, 5, 6, 7]):
        placed = place_tags(source, output, alignment)
        _assert_source_structure(placed.tagged, source)
        assert placed.tagged.text == output


def test_pairs_the_alignment_puts_around_a_sibling_are_placed_in_source_order():
    source = TaggedText.from_parts(
        [Tag(1, OPEN), "bir", Tag(1, CLOSE), " və ", Tag(2, OPEN), "iki", Tag(2, CLOSE), " son"]
    )
    # "one" and "end" align to <g1>'s word: by alignment alone <g1> would wrap <g2>'s "two"
    placed = place_tags(source, "one and two end", [0, 1, 2, 0])
    _assert_source_structure(placed.tagged, source)


def test_lost_standalone_codes_keep_their_order_between_the_pairs():
    source = TaggedText.from_parts(
        ["Bax ", Tag(1, OPEN), "bura", Tag(1, CLOSE), " ", Tag(2, EMPTY), " və ",
         Tag(3, OPEN), "ora", Tag(3, CLOSE), Tag(4, EMPTY)]
    )  # fmt: skip
    placed = place_tags(source, "Look here and there", None)
    _assert_source_structure(placed.tagged, source)


def test_dropping_debris_keeps_each_word_its_alignment():
    text = "This 1g1&gt; big &lt;/g1city"
    spans = [(5, 12), (17, 24)]
    kept, alignment = drop_spans(text, spans, [0, None, 1, 2])
    assert kept == "This  big city"
    assert alignment == [0, 1, 2]
    assert drop_spans(text, [], None) == (text, None)
