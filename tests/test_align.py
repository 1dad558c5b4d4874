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


def _assert_apart(placed: TaggedText, source: TaggedText) -> None:
    """Every tag present, in source order (so the source's nesting), and no two pairs that
    were apart in the source share a character of the output: siblings never nest."""
    assert not check(placed, source.tag_set())
    assert [tag for _, tag in placed.tags] == [tag for _, tag in source.tags]
    before, after = source.pair_spans(), placed.pair_spans()
    for first in before:
        for second in before:
            (a, b), (c, d) = before[first], before[second]
            if first < second and not (a < d and c < b):  # apart in the source
                (a, b), (c, d) = after[first], after[second]
                assert not (a < d and c < b), placed.render()


def test_pairs_that_outnumber_the_words_stay_apart_and_the_rest_are_left_empty():
    # no alignment, an alignment to an untagged word, one to a tagged word, an unaligned word
    for alignment in (None, [0], [3], [None]):
        placed = place_tags(ONE_WORD_SOURCE, "Meeting.", alignment)
        assert placed.tagged.text == "Meeting."
        _assert_apart(placed.tagged, ONE_WORD_SOURCE)
        # the word goes to the longest tagged stretch ("insan alveri"), the others are empty
        assert placed.tagged.render() == "<g1></g1><g2>Meeting.</g2><g3></g3>", alignment
        assert placed.emptied == 2


def test_four_links_on_a_two_word_output_never_nest():
    names = ["Ana səhifə", "Haqqımızda", "Xəbərlər", "Əlaqə"]
    for separator in (" | ", " və "):
        source = _links(names, separator)
        for output, alignment in (("Home Contact", None), ("Home Contact", [0, 12])):
            placed = place_tags(source, output, alignment)
            assert placed.tagged.text == output
            _assert_apart(placed.tagged, source)
            spans = placed.tagged.pair_spans().values()
            assert placed.emptied == sum(1 for a, b in spans if not output[a:b].strip())
            assert placed.emptied >= 2


def test_sibling_pairs_aligned_to_the_same_word_do_not_nest():
    # `[x](a)[y](b)` or `` `https``http` ``: one source word under two sibling pairs, and an
    # output word aligned to it: both pairs would wrap exactly that word
    source = TaggedText.from_parts(
        [Tag(1, OPEN), "ab", Tag(1, CLOSE), Tag(2, OPEN), "cd", Tag(2, CLOSE), " son"]
    )
    placed = place_tags(source, "xy end", [0, 1])
    _assert_apart(placed.tagged, source)
    assert placed.fallback > 0


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
