"""A small document model rendered to self-contained HTML or to plain-text Markdown.

The report is built once as a list of blocks (headings, paragraphs, tables, lists,
images, preformatted text) and rendered by :func:`to_html` or :func:`to_markdown`, so both
formats say the same thing. HTML embeds the images as base64 PNG data URIs and inlines its
CSS: one file, nothing fetched. Markdown uses pipe tables and links each image to a PNG
file beside the ``.md`` file (a data URI would bury the text under kilobytes of base64).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Heading:
    level: int
    text: str
    anchor: str | None = None


@dataclass
class Para:
    text: str
    note: bool = False  # a small print remark


@dataclass
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: str | None = None  # per column "l" or "r"; default: first left, rest right
    caption: str | None = None


@dataclass
class Bullets:
    items: Sequence[str]


@dataclass
class Image:
    name: str  # file name (Markdown) and key into the document's images
    alt: str
    caption: str | None = None


@dataclass
class Pre:
    text: str


#: What a verdict's status says in words (colour is never the only signal).
STATUS_TEXT = {"ok": "✔ PASS", "warn": "⚠ PASS WITH CAVEATS", "fail": "✘ FAIL"}


@dataclass
class Box:
    """A verdict box: a title, a status (``ok``, ``warn``, ``fail``) with a headline, rows
    of (label, text), then optional bullets under their own title."""

    title: str
    status: str
    headline: str
    rows: Sequence[tuple[str, str]]
    bullets: Sequence[str] = ()
    bullets_title: str | None = None
    anchor: str | None = None


Block = Heading | Para | Table | Bullets | Image | Pre | Box

#: What a table cell says when there is no interval (a single run).
NO_INTERVAL = "– (one run)"


def _without_empty_intervals(t: Table) -> Table:
    """Drop "interval" columns that hold no interval in any row (a single run), so no
    interval heading stands over dashes; the caption says why."""
    drop = {i for i, h in enumerate(t.headers) if "interval" in h.lower()
            and t.rows and all(r[i] in (NO_INTERVAL, "") for r in t.rows)}
    if not drop:
        return t
    keep = [i for i in range(len(t.headers)) if i not in drop]
    note = "One run: no intervals (simulate two or more runs for them)."
    return Table([t.headers[i] for i in keep], [[r[i] for i in keep] for r in t.rows],
                 None if t.align is None else "".join(t.align[i] for i in keep),
                 f"{t.caption} {note}" if t.caption else note)


@dataclass
class Document:
    title: str
    blocks: list[Block] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(_without_empty_intervals(b) if isinstance(b, Table) else b
                           for b in blocks)

    def image(self, name: str, png: bytes, alt: str, caption: str | None = None) -> None:
        self.images[name] = png
        self.blocks.append(Image(name, alt, caption))


_CSS = """
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif;
       max-width: 1180px; margin: 1.2em auto; padding: 0 1em; color: #222; line-height: 1.45;
       overflow-wrap: break-word; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; font-size: 1.6em; margin: .3em 0 .5em; }
h2 { border-bottom: 1px solid #bbb; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .92em; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: .25em .6em; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #eee; text-align: left; }
td.r { text-align: right; font-variant-numeric: tabular-nums; }
caption { caption-side: bottom; font-size: .85em; color: #555; text-align: left; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .85em; color: #555; }
p.note { font-size: .85em; color: #555; }
pre { background: #f6f6f6; padding: .6em; white-space: pre-wrap; overflow-wrap: anywhere;
      font-size: .85em; }
code { background: #f3f3f3; padding: 0 .2em; }
section.verdict { border: 3px solid #888; border-left-width: 12px; border-radius: 4px;
                  padding: .4em 1em .6em; margin: .8em 0 1.2em; background: #fafafa; }
section.verdict h2 { border: 0; margin: .2em 0 .2em; font-size: 1.25em; }
section.verdict p.headline { font-size: 1.1em; font-weight: bold; margin: .2em 0 .4em; }
section.verdict table { border: 0; margin: .2em 0; font-size: .95em; width: 100%; }
section.verdict th, section.verdict td { border: 0; border-top: 1px solid #ddd; background: none; }
section.verdict th { width: 12em; white-space: nowrap; color: #333; }
section.verdict ul { margin: .2em 0; font-size: .9em; }
section.verdict p.sub { margin: .4em 0 0; font-size: .9em; font-weight: bold; }
.v-ok { border-color: #009E73 !important; }
.v-warn { border-color: #E69F00 !important; }
.v-fail { border-color: #D55E00 !important; }
.status { display: inline-block; padding: 0 .5em; margin-right: .5em; border-radius: 3px;
          color: #fff; }
.v-ok .status { background: #00785a; }
.v-warn .status { background: #8a5f00; }
.v-fail .status { background: #b34700; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 9.5pt; }
  h2, h3, h4 { break-after: avoid; }
  figure, section.verdict, tr { break-inside: avoid; }
  section.verdict { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .status { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _inline_html(text: str) -> str:
    """Escape, then render `code` spans and **bold** (the only inline markup we use)."""
    out = html.escape(text)
    parts = out.split("`")
    for i in range(1, len(parts), 2):
        parts[i] = f"<code>{parts[i]}</code>"
    out = "".join(parts)
    bits = out.split("**")
    for i in range(1, len(bits), 2):
        bits[i] = f"<strong>{bits[i]}</strong>"
    return "".join(bits)


def _align(t: Table) -> str:
    n = len(t.headers)
    return t.align if t.align and len(t.align) == n else "l" + "r" * (n - 1)


def to_html(doc: Document) -> str:
    """One self-contained HTML page (CSS inline, PNGs as data URIs)."""
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           # An empty icon: the browser then asks for no favicon (nothing is fetched).
           '<link rel="icon" href="data:,">',
           f"<title>{html.escape(doc.title)}</title>", f"<style>{_CSS}</style>", "</head>",
           "<body>", f"<h1>{html.escape(doc.title)}</h1>"]
    for b in doc.blocks:
        if isinstance(b, Heading):
            lvl = min(max(b.level, 2), 6)
            a = f' id="{html.escape(b.anchor)}"' if b.anchor else ""
            out.append(f"<h{lvl}{a}>{_inline_html(b.text)}</h{lvl}>")
        elif isinstance(b, Para):
            cls = ' class="note"' if b.note else ""
            out.append(f"<p{cls}>{_inline_html(b.text)}</p>")
        elif isinstance(b, Table):
            al = _align(b)
            out.append("<table>")
            if b.caption:
                out.append(f"<caption>{_inline_html(b.caption)}</caption>")
            out.append("<tr>" + "".join(f"<th>{_inline_html(h)}</th>" for h in b.headers) + "</tr>")
            for row in b.rows:
                cells = []
                for i, c in enumerate(row):
                    cls = ' class="r"' if al[i] == "r" else ""
                    cells.append(f"<td{cls}>{_inline_html(c)}</td>")
                out.append("<tr>" + "".join(cells) + "</tr>")
            out.append("</table>")
        elif isinstance(b, Bullets):
            out.append("<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Image):
            data = base64.b64encode(doc.images[b.name]).decode("ascii")
            cap = f"<figcaption>{_inline_html(b.caption)}</figcaption>" if b.caption else ""
            out.append(f'<figure><img alt="{html.escape(b.alt)}" '
                       f'src="data:image/png;base64,{data}">{cap}</figure>')
        elif isinstance(b, Pre):
            out.append(f"<pre>{html.escape(b.text)}</pre>")
        elif isinstance(b, Box):
            out.append(_box_html(b))
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _box_html(b: Box) -> str:
    a = f' id="{html.escape(b.anchor)}"' if b.anchor else ""
    out = [f'<section class="verdict v-{html.escape(b.status)}"{a}>',
           f"<h2>{_inline_html(b.title)}</h2>",
           f'<p class="headline"><span class="status">{STATUS_TEXT[b.status]}</span>'
           f"{_inline_html(b.headline)}</p>", "<table>"]
    out += [f"<tr><th>{_inline_html(k)}</th><td>{_inline_html(v)}</td></tr>" for k, v in b.rows]
    out.append("</table>")
    if b.bullets:
        if b.bullets_title:
            out.append(f'<p class="sub">{_inline_html(b.bullets_title)}</p>')
        out.append("<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in b.bullets) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(doc: Document, image_path: Callable[[str], str] | None) -> str:
    """Plain-text Markdown: pipe tables, ``![alt](path)`` images.

    ``image_path(name)`` gives each image's link (relative to the .md file); None leaves the
    images out with a one-line note (text-only output, e.g. to a terminal).
    """
    out = [f"# {doc.title}", ""]
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += ["#" * min(max(b.level, 2), 6) + " " + b.text, ""]
        elif isinstance(b, Para):
            out += [f"*{b.text}*" if b.note else b.text, ""]
        elif isinstance(b, Table):
            al = _align(b)
            out.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            out.append("|" + "|".join("---:" if a == "r" else ":---" for a in al) + "|")
            for row in b.rows:
                out.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
            if b.caption:
                out += ["", f"*{b.caption}*"]
            out.append("")
        elif isinstance(b, Bullets):
            out += [f"- {i}" for i in b.items] + [""]
        elif isinstance(b, Image):
            if image_path is None:
                out += [f"*(plot '{b.alt}' left out: write the report to a file to get plots)*", ""]
            else:
                out += [f"![{b.alt}]({image_path(b.name)})", ""]
                if b.caption:
                    out += [f"*{b.caption}*", ""]
        elif isinstance(b, Pre):
            out += ["```", b.text, "```", ""]
        elif isinstance(b, Box):
            out += _box_markdown(b)
    return "\n".join(out).rstrip() + "\n"


def _box_markdown(b: Box) -> list[str]:
    """A verdict box as a block quote: title, status and headline, one bullet per row."""
    out = [f"> ## {b.title}", ">", f"> **{STATUS_TEXT[b.status]}** {b.headline}", ">"]
    out += [f"> - **{k}:** {v}" for k, v in b.rows]
    if b.bullets:
        out.append(">")
        if b.bullets_title:
            out += [f"> **{b.bullets_title}**", ">"]
        out += [f"> - {i}" for i in b.bullets]
    return [*out, ""]
