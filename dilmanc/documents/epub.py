"""EPUB books (.epub, EPUB 2 and 3): the spine's XHTML content documents, the navigation
document, the NCX table of contents and the book's title and description.

The package is read with lxml (the container, then the OPF's manifest and spine: ebooklib is
AGPL-licensed, so it only writes the tests' books); every
XHTML content document is read and written by the HTML format (dilmanc.documents.html), so
inline markup becomes tags and every byte that is not translated stays as it was, and the
`lang`/`xml:lang` of each document is set to the target. The NCX labels (`docTitle`,
`navLabel`) and the OPF metadata (`dc:title`, `dc:description`) are units of their own;
`dc:language` and the `xml:lang` of the OPF and NCX are set to the target.

The translated book is the original package with those members replaced: every other member
(images, fonts, CSS, the manifest itself) is copied unchanged, `mimetype` first.

Refused with one line: a book with DRM (`META-INF/rights.xml`, or content encrypted by
`META-INF/encryption.xml` beyond font obfuscation), a package without a readable OPF, XML
declaring entities, and everything the ZIP guard (`archive.open_zip`) refuses.
"""

from __future__ import annotations

import codecs
import io
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote

from lxml import etree

from dilmanc.documents.archive import ENTITIES, open_zip, rewrite
from dilmanc.documents.base import Document, Translated, Unit, UnitWriter, WrittenByWriter, linked
from dilmanc.documents.html import HtmlDocument
from dilmanc.errors import InputError
from dilmanc.fileio import decode, read_bytes, sniff_bom
from dilmanc.languages import Language
from dilmanc.text.tagged import TaggedText

DC = "http://purl.org/dc/elements/1.1/"
OPF = "http://www.idpf.org/2007/opf"
NCX = "http://www.daisy.org/z3986/2005/ncx/"
XENC = "http://www.w3.org/2001/04/xmlenc#"
OCF = "urn:oasis:names:tc:opendocument:xmlns:container"
CONTAINER = "META-INF/container.xml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XHTML = "application/xhtml+xml"
NCX_TYPE = "application/x-dtbncx+xml"
# Font obfuscation (IDPF, Adobe) is not DRM: the text stays readable.
FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
METADATA = {f"{{{DC}}}title": "title", f"{{{DC}}}description": "description"}


@dataclass
class _Content:
    name: str  # the member's path in the ZIP archive
    document: HtmlDocument


def _check_drm(archive: zipfile.ZipFile, label: str) -> None:
    names = set(archive.namelist())
    if "META-INF/rights.xml" in names or "META-INF/sinf.xml" in names:
        raise InputError(f"{label}: a DRM-protected EPUB (META-INF/rights.xml); remove the DRM")
    if "META-INF/encryption.xml" not in names:
        return
    root = _parse(archive.read("META-INF/encryption.xml"), label, "META-INF/encryption.xml")
    for data in root.iter(f"{{{XENC}}}EncryptedData"):
        method = data.find(f"{{{XENC}}}EncryptionMethod")
        algorithm = method.get("Algorithm") if method is not None else None
        if algorithm not in FONT_OBFUSCATION:
            reference = data.find(f".//{{{XENC}}}CipherReference")
            what = reference.get("URI") if reference is not None else "content"
            raise InputError(
                f"{label}: a DRM-protected (encrypted) EPUB ({what} is encrypted); remove the DRM"
            )


def _parse(data: bytes, label: str, name: str):
    try:
        return etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as err:
        raise InputError(f"{label}: corrupt XML in {name} inside the EPUB ({err})") from None


@dataclass
class _Package:
    """What the container and the OPF say: where the OPF is, the XHTML documents in reading
    order (the spine, then the navigation document), the NCX."""

    opf: str
    root: object  # the OPF, parsed
    documents: list[str]
    ncx: str | None


def _member(opf_dir: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(opf_dir, unquote(href.split("#")[0])))


def _package(archive: zipfile.ZipFile, label: str) -> _Package:
    """Read META-INF/container.xml and the OPF it names; InputError when they are unusable."""
    names = set(archive.namelist())
    container = _parse(archive.read(CONTAINER), label, CONTAINER)
    rootfile = next((e for e in container.iter(f"{{{OCF}}}rootfile") if e.get("full-path")), None)
    if rootfile is None:
        raise InputError(f"{label}: not a readable EPUB ({CONTAINER} names no package file)")
    opf = rootfile.get("full-path")
    if opf not in names:
        raise InputError(f"{label}: not a readable EPUB (no package file {opf})")
    root = _parse(archive.read(opf), label, opf)
    manifest, spine = root.find(f"{{{OPF}}}manifest"), root.find(f"{{{OPF}}}spine")
    if manifest is None or spine is None:
        raise InputError(f"{label}: not a readable EPUB ({opf} has no manifest or no spine)")
    opf_dir = posixpath.dirname(opf)
    items = {item.get("id"): item for item in manifest.iter(f"{{{OPF}}}item") if item.get("href")}
    documents: list[str] = []
    for itemref in spine.iter(f"{{{OPF}}}itemref"):
        item = items.get(itemref.get("idref"))
        if item is None or item.get("media-type") != XHTML:
            continue
        name = _member(opf_dir, item.get("href"))
        if name not in names:
            raise InputError(f"{label}: not a readable EPUB (the spine's {name} is missing)")
        if name not in documents:
            documents.append(name)
    for item in items.values():  # the EPUB 3 navigation document, in the spine or not
        name = _member(opf_dir, item.get("href"))
        nav = "nav" in (item.get("properties") or "").split()
        if nav and name in names and name not in documents:
            documents.append(name)
    ncx_item = items.get(spine.get("toc"))
    if ncx_item is None:
        ncx_item = next((i for i in items.values() if i.get("media-type") == NCX_TYPE), None)
    ncx = _member(opf_dir, ncx_item.get("href")) if ncx_item is not None else None
    return _Package(opf, root, documents, ncx if ncx in names else None)


def _content(archive: zipfile.ZipFile, name: str, label: str) -> _Content | None:
    """One XHTML document through the HTML format (None when it is empty)."""
    data = archive.read(name)
    where = f"{label}:{name}"
    text = decode(data, where)
    if not text.strip():
        return None
    codec = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else sniff_bom(data[:4]) or "utf-8"
    return _Content(name, HtmlDocument.from_text(text, where, codec=codec))


def _opf_elements(root) -> list:
    metadata = root.find(f"{{{OPF}}}metadata")
    if metadata is None:
        return []
    return [element for element in metadata if element.tag in METADATA]


def _ncx_elements(root) -> list:
    out = []
    title = root.find(f"{{{NCX}}}docTitle/{{{NCX}}}text")
    if title is not None:
        out.append(title)
    for container in ("navMap", "navList"):
        for holder in root.iter(f"{{{NCX}}}{container}"):
            out += list(holder.iter(f"{{{NCX}}}text"))
    return out


def _plain(element) -> TaggedText:
    return TaggedText(" ".join("".join(element.itertext()).split()))


class EpubDocument(WrittenByWriter, Document):
    format = "epub"
    extensions = (".epub",)
    binary = True

    def __init__(self, path: Path | None, label: str, data: bytes, archive) -> None:
        super().__init__(path, label)
        self._data = data
        package = _package(archive, label)
        self._opf, self._ncx = package.opf, package.ncx
        self._contents = [
            content
            for name in package.documents
            if (content := _content(archive, name, label)) is not None
        ]
        self._opf_bytes = archive.read(self._opf)
        self._ncx_bytes = archive.read(self._ncx) if self._ncx else None
        self._opf_root = package.root
        self._ncx_root = None
        if self._ncx_bytes is not None:
            self._ncx_root = _parse(self._ncx_bytes, label, self._ncx)
        for content in self._contents:
            for unit in content.document.units():
                unit.id = f"{content.name}#{unit.id}"
                unit.location = f"{content.name} {unit.location}"

    @classmethod
    def sniff(cls, head: bytes) -> bool:
        return head.startswith(b"PK\x03\x04") and b"mimetypeapplication/epub+zip" in head[:100]

    @classmethod
    def load(cls, path: Path, *, encoding: str | None = None) -> EpubDocument:
        data = read_bytes(path)
        label = str(path)
        if not data.strip():
            raise InputError(f"{label} is empty")
        with open_zip(data, label, kind="EPUB", refuse=ENTITIES) as archive:
            if CONTAINER not in archive.namelist():
                raise InputError(f"{label}: not an EPUB book (a ZIP archive without {CONTAINER})")
            _check_drm(archive, label)
            return cls(path, label, data, archive)

    @property
    def size(self) -> int:
        return sum(content.document.size for content in self._contents) + len(
            self._extras(self._opf_root, self._ncx_root)
        )

    def _extras(self, opf_root, ncx_root) -> list[tuple[str, str, object]]:
        """(unit id, location, element) of the metadata and NCX labels."""
        out = []
        for number, element in enumerate(_opf_elements(opf_root), 1):
            out.append((f"{self._opf}#meta{number}", f"{self._opf} {METADATA[element.tag]}",
                        element))  # fmt: skip
        if ncx_root is not None:
            for number, element in enumerate(_ncx_elements(ncx_root), 1):
                out.append((f"{self._ncx}#label{number}", f"{self._ncx} label {number}", element))
        return out

    def units(self) -> Iterator[Unit]:
        return linked(self._all_units())

    def _all_units(self) -> Iterator[Unit]:
        for uid, location, element in self._extras(self._opf_root, self._ncx_root):
            source = _plain(element)
            if source.text:
                yield Unit(uid, source, location=location)
        for content in self._contents:
            yield from content.document.units()

    def writer(self, lang: Language, handle: IO) -> UnitWriter:
        return _EpubWriter(self, lang, handle)

    def package(self, handle: IO, lang: Language, replaced: dict[str, bytes], extras: dict) -> None:
        """Write the book: the content documents in `replaced` (member → bytes), the metadata
        and NCX labels from `extras` (unit id → Translated), everything else as it was."""
        opf_root = etree.fromstring(self._opf_bytes, PARSER)  # a fresh copy per language
        ncx_root = None
        if self._ncx_bytes is not None:
            ncx_root = etree.fromstring(self._ncx_bytes, PARSER)
        for uid, _, element in self._extras(opf_root, ncx_root):
            found = extras.get(uid)
            if found is not None and found.target != _plain(element):
                for child in list(element):
                    element.remove(child)
                element.text = found.target.text
        _set_language(opf_root, ncx_root, lang)
        replaced[self._opf] = _serialize(opf_root)
        if ncx_root is not None:
            replaced[self._ncx] = _serialize(ncx_root)
        rewrite(self._data, replaced, handle)


class _EpubWriter(UnitWriter):
    """Writes each content document out (to bytes) as soon as all its units have arrived, in
    any order, and lets go of their translations: a long book holds the translations of the
    chapters under way, not of the whole book. The package is written at the end."""

    def __init__(self, document: EpubDocument, lang: Language, handle: IO) -> None:
        super().__init__(document, lang, handle)
        self.contents = {content.name: content for content in document._contents}
        self.member = {u.id: c.name for c in document._contents for u in c.document.units()}
        self.waiting = {name: 0 for name in self.contents}
        for name in self.member.values():
            self.waiting[name] += 1
        self.held: dict[str, dict[str, Translated]] = {name: {} for name in self.contents}
        self.replaced: dict[str, bytes] = {}
        self.extras: dict[str, Translated] = {}

    def add(self, chunk: list[Translated]) -> None:
        for item in chunk:
            name = self.member.get(item.unit.id)
            if name is None:
                self.extras[item.unit.id] = item  # the metadata and NCX labels
                continue
            held = self.held[name]
            if item.unit.id not in held:
                self.waiting[name] -= 1
            held[item.unit.id] = item
            if not self.waiting[name]:
                self.render(name)

    def render(self, name: str) -> None:
        buffer = io.BytesIO()
        self.contents[name].document.write(buffer, self.lang, self.held[name])
        self.replaced[name] = buffer.getvalue()
        self.held[name] = {}

    def finish(self) -> None:
        for name in self.contents:
            if name not in self.replaced:
                self.render(name)
        self.document.package(self.handle, self.lang, self.replaced, self.extras)


def _set_language(opf_root, ncx_root, lang: Language) -> None:
    metadata = opf_root.find(f"{{{OPF}}}metadata")
    if metadata is not None:
        languages = metadata.findall(f"{{{DC}}}language")
        if not languages:
            languages = [etree.SubElement(metadata, f"{{{DC}}}language")]
        for element in languages[:1]:
            element.text = lang.iso
    for root in (opf_root, ncx_root):
        if root is not None and root.get(XML_LANG) is not None:
            root.set(XML_LANG, lang.iso)


def _serialize(root) -> bytes:
    """The part as XML, its DOCTYPE (an NCX's public identifier) kept."""
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
