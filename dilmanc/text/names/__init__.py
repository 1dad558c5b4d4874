"""People's names in Azerbaijani text: detection, Russian/English rendering, glossary terms.

    from dilmanc.text.names import find_names, NameTable, render
    from dilmanc.glossary.names import names_glossary
    table = NameTable.load(["names.tsv"])          # bundled tables + user overrides
    mentions = find_names(text, table)              # NameMention(start, end, text, person, ...)
    render(mentions[0].person, "ru")                # "Вугар Бехбудов"
    glossary = names_glossary(segments, ["en", "ru"], style="direct", table=table)

Modules: `table` (TSV tables), `parts` (surname endings, honorifics), `detect` (finding and
linking), `transcribe` (letter rules), `render`, `russian` (case forms for verification),
`dilmanc.glossary.names` turns them into glossary entries (and the summary of `dilmanc names`).
"""

from dilmanc.text.names.detect import NameMention, PersonName, find_names, find_names_in
from dilmanc.text.names.render import LANGUAGES, STYLES, render
from dilmanc.text.names.table import NameTable

__all__ = [
    "LANGUAGES",
    "STYLES",
    "NameMention",
    "NameTable",
    "PersonName",
    "find_names",
    "find_names_in",
    "render",
]
