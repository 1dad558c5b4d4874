"""Shared set-up of the review workspace tests: a DOCX press release with bold runs, a
service over a dictionary engine double (some paragraphs translated well, the others left in
Azerbaijani, which quality estimation flags) and a fresh SQLite translation memory."""

from __future__ import annotations

from pathlib import Path

GOOD = {
    "Salam.": "Hello.",
    "Bu gün hava günəşlidir.": "The weather is sunny today.",
}
# (plain text before, bold word, text after): the double copies these, so QE flags them
FLAGGED = [
    ("Dünən şəhərdə ", "yeni", " körpü açıldı."),
    ("Nazir ", "Bakıda", " çıxış etdi."),
]
CORRECTIONS = {
    0: ("Yesterday a ", "new", " bridge opened in the city."),
    2: ("The minister spoke in ", "Baku", "."),
}

# a memory unit close to FLAGGED[1] (one word more): its fuzzy match, 80%
MEMORY_UNIT = ("Nazir dünən <g1>Bakıda</g1> çıxış etdi.", "The minister spoke in <g1>Baku</g1>.")


def write_docx(path: Path, extra: int = 0) -> Path:
    """Paragraphs: flagged, good, flagged, good, then `extra` filler paragraphs."""
    import docx

    document = docx.Document()
    texts = [FLAGGED[0], "Salam.", FLAGGED[1], "Bu gün hava günəşlidir."]
    texts += [f"Cümlə nömrə {k} burada yazılıb." for k in range(extra)]
    for item in texts:
        if isinstance(item, tuple):
            paragraph = document.add_paragraph(item[0])
            paragraph.add_run(item[1]).bold = True
            paragraph.add_run(item[2])
        else:
            document.add_paragraph(item)
    document.save(path)
    return path


def compact(parts: tuple[str, str, str]) -> str:
    return f"{parts[0]}<g1>{parts[1]}</g1>{parts[2]}"


def make_service(tm: Path, engine):
    """A Service into English over `engine` (every model spec loads it) with memory `tm`."""
    from dilmanc.pipeline.service import Service
    from dilmanc.pipeline.settings import Settings

    return Service(Settings(targets=("en",), models=("double",), memory=str(tm)))
