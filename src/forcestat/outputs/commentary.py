"""Analysts' commentary: one Markdown file per report section, merged into the report.

A commentary folder holds ``<key>.md`` files; when it has a sub-folder named after the period
(``2020-03/``) that sub-folder is used instead, so one folder can keep every month's words.
Keys name the section a file belongs to (see ``section_keys``):

``purpose``, ``recommendation``, ``background``, ``theme-<theme id>``, ``measure-<measure id>``,
``national-context``, ``headlines``, ``priority-<priority area id>``, ``objective-<objective id>``.

Files are only ever read: the report never writes, creates or rewrites them (the generated text
and the analysts' words sit side by side). Raw HTML in the Markdown is not passed through, so a
commentary file cannot pull anything from the network into a self-contained report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@dataclass(frozen=True)
class Run:
    """A stretch of inline text with its emphasis (for DOCX)."""

    text: str
    bold: bool = False
    italic: bool = False
    href: str | None = None


@dataclass(frozen=True)
class Block:
    """A block of Markdown for DOCX: a paragraph, heading (level 1-6) or list item."""

    kind: str  # "paragraph" | "heading" | "bullet" | "number" | "quote"
    runs: tuple[Run, ...]
    level: int = 0


@dataclass(frozen=True)
class Commentary:
    key: str
    path: Path
    markdown: str

    @property
    def html(self) -> str:
        return _MD.render(self.markdown)

    @property
    def blocks(self) -> list[Block]:
        return markdown_blocks(self.markdown)


@dataclass
class CommentarySet:
    """The commentary files found for a period; records which keys the report asked for."""

    root: Path | None
    files: dict[str, Commentary] = field(default_factory=dict)
    asked: set[str] = field(default_factory=set)

    def get(self, key: str) -> Commentary | None:
        self.asked.add(key)
        return self.files.get(key)

    def unused(self) -> list[Path]:
        """Files whose key no section of this report reads (usually a misspelt name)."""
        return [c.path for k, c in sorted(self.files.items()) if k not in self.asked]

    def digest(self) -> str:
        """A short hash of every file's key and text, for the report footer."""
        h = hashlib.sha256()
        for key, c in sorted(self.files.items()):
            h.update(key.encode() + b"\0" + c.markdown.encode() + b"\0")
        return h.hexdigest()[:12]


def commentary_root(folder: Path, period: str) -> Path:
    sub = folder / period
    return sub if sub.is_dir() else folder


def load_commentary(folder: Path | None, period: str) -> CommentarySet:
    """Read every ``*.md`` of the period's commentary folder (nothing when ``folder`` is None)."""
    if folder is None:
        return CommentarySet(None)
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"commentary folder {folder} does not exist")
    root = commentary_root(folder, period)
    files = {}
    for path in sorted(root.glob("*.md")):
        text = path.read_bytes().decode("utf-8-sig")
        files[path.stem] = Commentary(path.stem, path, text.strip())
    return CommentarySet(root, files)


def section_keys(
    themes: Iterable[str],
    measures: Iterable[str],
    priorities: Iterable[str],
    objectives: Iterable[str],
) -> list[str]:
    """Every key a report with these framework ids reads, in report order."""
    keys = ["purpose", "recommendation", "background"]
    keys += [f"theme-{t}" for t in themes] + [f"measure-{m}" for m in measures]
    keys += ["national-context", "headlines"]
    keys += [f"priority-{p}" for p in priorities] + [f"objective-{o}" for o in objectives]
    return keys


# -- Markdown -> blocks for DOCX ------------------------------------------------------------------


def markdown_blocks(text: str) -> list[Block]:
    """Paragraphs, headings, list items and quotes with bold/italic/link runs. Other Markdown
    (tables, code) is kept as plain paragraphs of its text."""
    tokens = _MD.parse(text)
    out: list[Block] = []
    lists: list[str] = []
    quote = 0
    pending: tuple[str, int] | None = None
    for tok in tokens:
        if tok.type == "bullet_list_open":
            lists.append("bullet")
        elif tok.type == "ordered_list_open":
            lists.append("number")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif tok.type == "blockquote_open":
            quote += 1
        elif tok.type == "blockquote_close":
            quote -= 1
        elif tok.type == "heading_open":
            pending = ("heading", int(tok.tag[1]))
        elif tok.type == "paragraph_open":
            if lists:
                pending = (lists[-1], len(lists))
            elif quote:
                pending = ("quote", quote)
            else:
                pending = ("paragraph", 0)
        elif tok.type == "inline":
            kind, level = pending or ("paragraph", 0)
            out.append(Block(kind, tuple(_runs(tok.children or [])), level))
            pending = None
        elif tok.type in ("fence", "code_block"):
            out.append(Block("paragraph", (Run(tok.content.rstrip("\n")),)))
    return out


def _runs(children) -> list[Run]:
    runs: list[Run] = []
    bold = italic = 0
    href: str | None = None
    for c in children:
        if c.type == "strong_open":
            bold += 1
        elif c.type == "strong_close":
            bold -= 1
        elif c.type == "em_open":
            italic += 1
        elif c.type == "em_close":
            italic -= 1
        elif c.type == "link_open":
            href = str(c.attrs.get("href", "")) or None
        elif c.type == "link_close":
            href = None
        elif c.type in ("text", "code_inline"):
            runs.append(Run(c.content, bool(bold), bool(italic), href))
        elif c.type in ("softbreak", "hardbreak"):
            runs.append(Run(" " if c.type == "softbreak" else "\n", bool(bold), bool(italic)))
    return runs
