"""TaggedText: compact form, parsing and checks, edits that move tags, split/join by sentence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dilmanc.text.tagged import (
    CLOSE,
    EMPTY,
    OPEN,
    Edit,
    Tag,
    TaggedText,
    check,
    debris_spans,
    is_markup_list,
    join,
    keep_inside,
    parse,
    split,
)

BOLD = TaggedText.from_parts(["Görüşdə ", Tag(1, OPEN), "BMqT", Tag(1, CLOSE), "-nin ekspertləri."])


def test_render_and_parse_round_trip():
    assert BOLD.render() == "Görüşdə <g1>BMqT</g1>-nin ekspertləri."
    parsed = parse(BOLD.render(), BOLD.tag_set())
    assert parsed.ok and parsed.tagged == BOLD
    with_empty = TaggedText.from_parts(["a ", Tag(2, EMPTY), " b"])
    assert with_empty.render() == "a <x2/> b"
    assert parse("a <x2 /> b", with_empty.tag_set()).tagged == with_empty


def test_parse_reports_lost_invented_and_crossed_tags():
    expected = [Tag(1, OPEN), Tag(1, CLOSE), Tag(2, OPEN), Tag(2, CLOSE)]
    assert parse("<g1>a</g1> <g2>b</g2>", expected).ok
    assert parse("<g1>a <g2>b</g2></g1>", expected).ok  # nested is fine
    assert "lost </g2>" in parse("<g1>a</g1> <g2>b", expected).problems[0]
    assert parse("<g1>a</g1> <g2>b</g2> <g3>c</g3>", expected).problems[0].startswith("invented")
    assert "out of order" in parse("<g1>a <g2>b</g1></g2>", expected).problems[0]
    assert "out of order" in parse("</g1>a<g1> <g2>b</g2>", expected).problems[0]


def test_edits_keep_tags_on_their_words():
    injected = BOLD.apply([Edit(8, 12, '"IOM"'), Edit(12, 16, "-nin")])
    assert injected.render() == 'Görüşdə <g1>"IOM"</g1>-nin ekspertləri.'
    unquoted = injected.apply([Edit(8, 9, ""), Edit(12, 13, ""), Edit(13, 17, "")])
    assert unquoted.render() == "Görüşdə <g1>IOM</g1> ekspertləri."
    # a pair strictly inside a replaced span grows to the whole replacement
    inner = TaggedText.from_parts(["BM", Tag(1, OPEN), "q", Tag(1, CLOSE), "T x"])
    assert inner.replace(0, 4, "IOM").render() == "<g1>IOM</g1> x"
    # insertions: an opening tag stays before the inserted text, a closing one goes after it
    assert BOLD.replace(8, 8, "«").render().startswith("Görüşdə <g1>«BMqT")
    assert BOLD.replace(12, 12, "»").render().startswith("Görüşdə <g1>BMqT»</g1>")


def test_renumbering_round_trip():
    text = TaggedText.from_parts([Tag(7, OPEN), "a", Tag(7, CLOSE), " ", Tag(3, EMPTY)])
    local, back = text.renumbered()
    assert local.render() == "<g1>a</g1> <x2/>"
    assert local.with_ids(back) == text


def test_split_reopens_pairs_across_sentences_and_join_undoes_it():
    text = TaggedText.from_parts(["Bir ", Tag(1, OPEN), "iki. Üç", Tag(1, CLOSE), " dörd."])
    first, second = split(text, [(0, 9), (9, 20)])
    assert first.render() == "Bir <g1>iki. </g1>"
    assert second.render() == "<g1>Üç</g1> dörd."
    assert join([first, second]) == text


def test_strip_keeps_edge_tags():
    text = TaggedText.from_parts([Tag(1, OPEN), "  söz ", Tag(1, CLOSE)])
    assert text.strip().render() == "<g1>söz</g1>"


_WORDS = st.sampled_from(["söz", "BMqT-nin", "İş", " ", ". ", "ə", "x y"])


@st.composite
def tagged_texts(draw):
    parts: list = []
    open_ids: list[int] = []
    next_id = 1
    for _ in range(draw(st.integers(1, 12))):
        choice = draw(st.integers(0, 3))
        if choice == 0:
            parts.append(Tag(next_id, OPEN))
            open_ids.append(next_id)
            next_id += 1
        elif choice == 1 and open_ids:
            parts.append(Tag(open_ids.pop(), CLOSE))
        elif choice == 2:
            parts.append(Tag(next_id, EMPTY))
            next_id += 1
        else:
            parts.append(draw(_WORDS))
    parts += [Tag(i, CLOSE) for i in reversed(open_ids)]
    return TaggedText.from_parts(parts)


@given(tagged_texts(), st.data())
def test_split_then_join_is_identity(text, data):
    n = len(text.text)
    cuts = sorted(set(data.draw(st.lists(st.integers(0, n), max_size=4))) - {0, n})
    edges = [0, *cuts, n]
    pieces = split(text, list(zip(edges, edges[1:], strict=False)))
    for piece in pieces:
        assert parse(piece.render(), piece.tag_set()).ok
    assert join(pieces).render() == text.render()


@given(tagged_texts())
def test_parse_of_render_is_identity(text):
    parsed = parse(text.render(), text.tag_set())
    assert parsed.ok
    assert parsed.tagged == text


def _without_debris(text: str, source: str, ids=(1, 2, 3, 10)) -> str:
    out, pos = [], 0
    for start, end in debris_spans(text, source, ids):
        out.append(text[pos:start])
        pos = end
    return " ".join(("".join(out) + text[pos:]).split())


def test_debris_of_the_tag_syntax_is_found():
    assert _without_debris("1g10&gt; stereotip &lt;/g10 deyil", "stereotip deyil") == (
        "stereotip deyil"
    )
    cleaned = _without_debris("Informaç&lt;.o&lt;/&gt;3&gt;", "Informasiya")
    assert not any(bit in cleaned for bit in ("<", ">", "&lt;", "&gt;", "3")), cleaned
    assert _without_debris("building <>:", "building [ ]:") == "building :"
    assert _without_debris("a </g2 b g1> c <x3 d /> e", "a b c d e") == "a b c d e"


def test_text_that_only_looks_like_debris_is_kept():
    for text, source in [
        ("5 < 6 and x2 > 1", "5 < 6 və x2 > 1"),
        ("the g10 group", "g10 qrupu"),
        ("x264 codec, 1/2 of it", "x264 kodek, 1/2 hissəsi"),
    ]:
        assert debris_spans(text, source, (1, 2, 10)) == [], text


def test_only_rows_of_codes_count_as_markup_lists():
    assert is_markup_list(parse("<g1>Ana</g1> | <g2>Xəbər</g2> | <g3>Əlaqə</g3>").tagged)
    for sentence in (
        "Bax <g1>bir</g1>, <g2>iki</g2> və <g3>üç</g3>.",  # words outside the codes
        "<g1>Bax <g2>bir</g2>, <g3>iki</g3> və <g4>üç</g4></g1>",  # a bold sentence of links
        "<g1>Ana</g1> | <g2>Xəbər</g2>",  # two links: a sentence like any other
    ):
        assert not is_markup_list(parse(sentence).tagged), sentence


def test_memory_uses_the_one_tag_syntax_validator_and_casing():
    """The memory reads tags, checks them and folds case with `text`'s functions (one each)."""
    from dilmanc.memory import model, normalize, store
    from dilmanc.text.turkic_case import az_lower

    assert not hasattr(normalize, "TAG") and not hasattr(normalize, "turkic_lower")
    assert normalize.fold("İNSAN IŞIQ", "az") == az_lower("İNSAN IŞIQ") == "insan ışıq"
    assert model.tag_shapes("<g1>a</g1><x2/>") == {1: True, 2: False}
    # pairs may overlap in the memory (TMX bpt/ept), not in model output
    assert store._tag_problem("<g1>a<g2>b</g1>c</g2>") is None
    assert parse("<g1>a<g2>b</g1>c</g2>").problems[-1] == "tag </g1> closes out of order"
    assert store._tag_problem("<g1>a") == "tag <g1> is never closed"


TOC_SOURCE = parse("<g1>Giriş<x2/></g1> və <g3><x4/>şəkil</g3>").tagged


def test_standalone_codes_moved_out_of_their_pair_go_back_inside_on_their_own_side():
    for output, expected in [
        # tab after the link's end, tab before the link: back at the end of the link's text
        ("<g1>Intro</g1><x2/> and <g3><x4/>image</g3>",
         "<g1>Intro<x2/></g1> and <g3><x4/>image</g3>"),
        ("<x2/><g1>Intro</g1> and <g3>image</g3><x4/>",
         "<g1>Intro<x2/></g1> and <g3><x4/>image</g3>"),
        # inside its pair anywhere: left where the model put it
        ("<g1><x2/>Intro</g1> and <g3>image<x4/></g3>",
         "<g1><x2/>Intro</g1> and <g3>image<x4/></g3>"),
    ]:  # fmt: skip
        placed = keep_inside(parse(output).tagged, TOC_SOURCE)
        assert placed.render() == expected
        assert not check(placed, TOC_SOURCE.tag_set())


def test_a_code_between_words_of_its_pair_returns_to_the_side_it_was_moved_to():
    source = parse("<g1>bir<x2/> iki</g1> üç").tagged
    assert keep_inside(parse("<g1>one two</g1> three<x2/>").tagged, source).render() == (
        "<g1>one two<x2/></g1> three"
    )
    assert keep_inside(parse("<x2/><g1>one two</g1> three").tagged, source).render() == (
        "<g1><x2/>one two</g1> three"
    )
