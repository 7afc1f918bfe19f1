"""Student content made safe for the instructor to open.

A submission's outputs, markdown cells and attachments are hostile input for every page an
instructor opens: the Formgrader runs in the instructor's logged-in JupyterLab, and a script
there can use the instructor's session. Two layers keep them inert:

- the notebook written to ``autograded/`` (:func:`sanitize_notebook`, called where the trusted
  side builds the judged notebook, :func:`grader.autograde.judged_notebook`): outputs keep only
  the allowlisted mime types, HTML in them is cleaned, markdown cells the student added or
  edited keep their text but no raw HTML or unsafe link, attachments only raster images;
- the pages nbgrader renders from it (the Formgrader's submission view, the feedback HTML):
  the generated ``nbgrader_config.py`` (:mod:`grader.config`) turns on nbconvert's
  ``HTMLExporter.sanitize_html``, replaces its ``clean_html`` and ``markdown2html`` filters by
  :func:`clean_html` and :func:`markdown2html` below (nbgrader's templates render markdown
  cells without cleaning them), and runs :class:`SanitizeNotebook` before rendering.

The HTML cleaner is bleach (nbconvert's own sanitiser) with the allowlist below; scripts, styles
and embedded documents are removed with their content first. README.md ("What a student can
and cannot do") lists the same allowlist.
"""
from __future__ import annotations

import base64
import binascii
import copy
import html
import re
import uuid
from typing import Any

import bleach
from bleach.css_sanitizer import CSSSanitizer
from bs4 import BeautifulSoup, Comment
from jinja2 import pass_context
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from pygments.token import STANDARD_TYPES
from traitlets import Bool

# --- the allowlist -----------------------------------------------------------------------------

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    "var",
})
# Tags removed together with everything inside them (their text is code or a document, not prose).
DROPPED_WITH_CONTENT = ("script", "style", "template", "noscript", "iframe", "frame", "frameset", "object",
                        "embed", "applet", "svg", "math", "textarea", "select", "title", "head", "xmp",
                        "noembed", "noframes", "canvas", "audio", "video", "form")
LINK_SCHEMES = ("http", "https", "mailto")
RASTER_MIME_TYPES = ("image/png", "image/jpeg", "image/gif")
# pygments' token classes (syntax-highlighted code), the only class names kept: a page's own
# classes (Bootstrap's "modal", "navbar-fixed-top", ...) could lay a cell over the page.
CODE_CLASSES = frozenset(name for name in STANDARD_TYPES.values() if name) | {"highlight"}
NUMBER = re.compile(r"^\d{1,5}%?$")
ALIGN = frozenset({"left", "right", "center"})
_IMAGE_DATA_URL = re.compile(r"^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]+$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff]")
_CSS = CSSSanitizer(allowed_css_properties=["text-align"])

# Output mime types shown; text/html is cleaned, text/markdown becomes cleaned text/html. Every
# other type (JavaScript, SVG, widget views, LaTeX, PDF, JSON, vendor and unknown types) is dropped.
SAFE_MIME_TYPES = ("text/plain", "text/html", "text/markdown", *RASTER_MIME_TYPES)
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")
# MathJax commands that make links, load extensions or set HTML attributes.
_RISKY_TEX = re.compile(r"\\(href|url|html|class|cssId|style|data|require|unicode|bbox|mmlToken)\b")


def _without_controls(value: str) -> str:
    return _CONTROL.sub("", html.unescape(value))


def safe_link(url: str) -> bool:
    """True for an absolute http, https or mailto address (whitespace and entities cannot hide a scheme)."""
    return _without_controls(url).lower().startswith(tuple(f"{scheme}:" for scheme in LINK_SCHEMES))


def safe_image_source(url: str) -> bool:
    """True for an embedded raster image (``data:image/png|jpeg|gif;base64,...``); no remote images."""
    return bool(_IMAGE_DATA_URL.match(_without_controls(url)))


def allowed_attribute(tag: str, name: str, value: str) -> bool:
    """Whether ``name="value"`` may stay on ``<tag>`` (bleach calls this for every attribute)."""
    if name in ("title", "alt") and tag in ("a", "img", "abbr"):
        return True
    if tag == "a" and name == "href":
        return safe_link(value)
    if tag == "img" and name == "src":
        return safe_image_source(value)
    if tag == "img" and name in ("width", "height"):
        return bool(NUMBER.match(value))
    if tag in ("td", "th") and name in ("colspan", "rowspan"):
        return bool(NUMBER.match(value))
    if tag in ("td", "th") and name == "align":
        return value.lower() in ALIGN
    if tag in ("td", "th") and name == "style":
        return True  # the CSS sanitiser keeps text-align only
    if tag == "ol" and name == "start":
        return value.isdigit()
    if tag in ("span", "div", "pre", "code") and name == "class":
        return bool(value.split()) and all(token in CODE_CLASSES for token in value.split())
    return False


_CLEANER = bleach.sanitizer.Cleaner(tags=ALLOWED_TAGS, attributes=allowed_attribute,
                                    protocols=[*LINK_SCHEMES, "data"], strip=True, strip_comments=True,
                                    css_sanitizer=_CSS)


# --- HTML -----------------------------------------------------------------------------------------

def _drop_active_elements(text: str) -> str:
    """``text`` without comments and the elements of :data:`DROPPED_WITH_CONTENT` (content included)."""
    soup = BeautifulSoup(text, "html.parser")
    for element in soup.find_all(DROPPED_WITH_CONTENT):
        element.decompose()
    for comment in soup.find_all(string=lambda node: isinstance(node, Comment)):
        comment.extract()
    return str(soup)


def clean_html(text: Any) -> str:
    """``text`` as HTML that cannot run anything, load anything or leave its cell.

    Only :data:`ALLOWED_TAGS` and the attributes :func:`allowed_attribute` accepts remain;
    unclosed tags are closed and stray closing tags dropped (bleach parses the fragment as a
    browser would and writes it back balanced).
    """
    text = text.decode() if isinstance(text, bytes) else str(text)
    return _CLEANER.clean(_drop_active_elements(text))


def html_is_safe(text: str) -> bool:
    """True when :func:`clean_html` would remove nothing that matters: no tag, attribute,
    comment or link outside the allowlist."""
    soup = BeautifulSoup(text, "html.parser")
    if soup.find_all(string=lambda node: isinstance(node, Comment)):
        return False
    for element in soup.find_all(True):
        if element.name not in ALLOWED_TAGS:
            return False
        for name, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if not allowed_attribute(element.name, name, value):
                return False
            if name == "style" and _CSS.sanitize_css(value).strip().rstrip(";") != value.strip().rstrip(";"):
                return False
    return True


# --- markdown -------------------------------------------------------------------------------------

def render_markdown(source: str, attachments: dict | None = None) -> str:
    """``source`` rendered as nbconvert renders a markdown cell (raw HTML passes through)."""
    renderer = IPythonRenderer(escape=False, attachments=raster_attachments(attachments or {}),
                               exclude_anchor_links=True)
    return MarkdownWithMath(renderer=renderer).render(source)


@pass_context
def markdown2html(context, source: str) -> str:
    """The exporters' ``markdown2html`` filter: markdown rendered, then cleaned."""
    cell = context.get("cell", {}) or {}
    return clean_html(render_markdown(source, cell.get("attachments", {})))


# "$i<k$" is maths and "<https://...>" a link, not tags
_TAG = re.compile(r"<\s*/?\s*([A-Za-z][\w:-]*)(?=[\s/>])(?!//)")
_HANDLER = re.compile(r"<[^>]*[\s/\"']on[a-z]+\s*=", re.IGNORECASE)
_SCHEME = re.compile(r"(javascript|vbscript|livescript)\s*:|data\s*:\s*(text|application|image/svg)", re.IGNORECASE)


def markdown_is_safe(source: str, attachments: dict | None = None) -> bool:
    """True when a markdown cell renders to allowlisted HTML only and its text holds no tag,
    event handler, risky URL scheme or MathJax link command a different renderer could act on."""
    decoded = html.unescape(source)
    if any(name.lower() not in ALLOWED_TAGS for name in _TAG.findall(decoded)) or _HANDLER.search(decoded):
        return False
    if _SCHEME.search(_without_controls(source)) or _RISKY_TEX.search(source):
        return False
    return html_is_safe(render_markdown(source, attachments))


def inert_markdown(source: str) -> str:
    """A markdown cell that shows ``source`` as plain text (a fenced block longer than any fence in it)."""
    longest = max((len(run) for run in re.findall(r"`+|~+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    return ("*The grader shows this cell as text: it held HTML, a link or an attachment that is not "
            f"allowed in submissions.*\n\n{fence}text\n{source}\n{fence}")


def keep_raster_attachments(cell: NotebookNode) -> bool:
    """Leave only the cell's raster image attachments; True when something was dropped."""
    original = cell.pop("attachments", None)
    attachments = raster_attachments(original)
    if attachments:
        cell["attachments"] = attachments
    return attachments != (original or {})


def sanitize_markdown_cell(cell: NotebookNode) -> NotebookNode:
    """A student's markdown cell: kept when safe, shown as text otherwise; raster attachments only."""
    dropped = keep_raster_attachments(cell)
    if dropped or not markdown_is_safe(cell.source, cell.get("attachments")):
        cell.source = inert_markdown(cell.source)
    return cell


# --- attachments and outputs ----------------------------------------------------------------------

def valid_base64(data: Any) -> bool:
    """True for a string that is base64 and nothing else (so it cannot close an ``src`` attribute)."""
    if not isinstance(data, str) or not re.fullmatch(r"[A-Za-z0-9+/=\s]+", data):
        return False
    try:
        base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def raster_attachments(attachments: Any) -> dict[str, dict[str, str]]:
    """The attachments that are raster images with valid data (other mime types dropped)."""
    if not isinstance(attachments, dict):
        return {}
    kept = {}
    for name, bundle in attachments.items():
        if isinstance(name, str) and isinstance(bundle, dict):
            images = {mime: data for mime, data in bundle.items() if mime in RASTER_MIME_TYPES and valid_base64(data)}
            if images:
                kept[name] = images
    return kept


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else str(value)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _image_metadata(metadata: Any) -> dict:
    """Only numeric width and height of images (nbconvert writes them into ``<img>`` unquoted)."""
    kept: dict = {}
    for mime in RASTER_MIME_TYPES:
        sizes = metadata.get(mime) if isinstance(metadata, dict) else None
        if isinstance(sizes, dict):
            numbers = {k: v for k, v in sizes.items() if k in ("width", "height") and isinstance(v, int)
                       and not isinstance(v, bool) and 0 < v < 100_000}
            if numbers:
                kept[mime] = numbers
    return kept


def _rich_html(data: dict) -> str | None:
    """The bundle's text/html cleaned, or its text/markdown rendered and cleaned; None when it has
    neither, or when the text asks MathJax for a link or an attribute."""
    for mime, render in (("text/html", str), ("text/markdown", render_markdown)):
        if mime in data:
            text = _text(data[mime])
            return None if _RISKY_TEX.search(text) else clean_html(render(text))
    return None


def sanitize_data(data: Any) -> tuple[dict[str, str], list[str]]:
    """A mime bundle with only safe types (HTML cleaned, markdown rendered and cleaned into
    text/html), and the types dropped."""
    if not isinstance(data, dict):
        return {}, ["a malformed bundle"]
    kept = {mime: "".join(data[mime].split()) + "\n" for mime in RASTER_MIME_TYPES
            if mime in data and valid_base64(data[mime])}
    if "text/plain" in data:
        kept["text/plain"] = _text(data["text/plain"])
    rich = _rich_html(data)
    if rich is not None:
        kept["text/html"] = rich
    converted = ("text/html", "text/markdown") if rich is not None else ()
    dropped = sorted(str(mime) for mime in data if mime not in kept and mime not in converted)
    return kept, dropped


def sanitize_output(output: Any) -> NotebookNode | None:
    """One output made safe, or None when nothing of it may be shown."""
    if not isinstance(output, dict) or output.get("output_type") not in OUTPUT_TYPES:
        return None
    kind = output["output_type"]
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return NotebookNode(output_type="stream", name=name, text=_text(output.get("text", "")))
    if kind == "error":
        traceback = output.get("traceback")
        return NotebookNode(output_type="error", ename=_text(output.get("ename", "Error")),
                            evalue=_text(output.get("evalue", "")),
                            traceback=[_text(line) for line in traceback] if isinstance(traceback, list) else [])
    data, dropped = sanitize_data(output.get("data"))
    if dropped and "text/plain" not in data:
        data["text/plain"] = f"[not shown by the grader: output of type {', '.join(dropped)}]"
    if not data:
        return None
    safe = NotebookNode(output_type=kind, data=data, metadata=_image_metadata(output.get("metadata")))
    if kind == "execute_result":
        safe["execution_count"] = _count(output.get("execution_count"))
    return safe


def sanitize_outputs(outputs: Any) -> list[NotebookNode]:
    """The outputs of a code cell, each made safe; unreadable ones dropped."""
    if not isinstance(outputs, list):
        return []
    return [safe for safe in map(sanitize_output, outputs) if safe is not None]


# --- notebooks ------------------------------------------------------------------------------------

_PLAIN_FIELD = re.compile(r"^[\w .+\-()]{1,80}$")


def _plain_fields(value: Any, keys: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {key: value[key] for key in keys if isinstance(value.get(key), str) and _PLAIN_FIELD.match(value[key])}


def sanitize_metadata(metadata: Any) -> dict:
    """Notebook metadata: the kernel's and language's names only (no widget state, no title)."""
    kept = {"kernelspec": _plain_fields(metadata and metadata.get("kernelspec"), ("name", "display_name", "language")),
            "language_info": _plain_fields(metadata and metadata.get("language_info"),
                                           ("name", "version", "file_extension", "mimetype", "pygments_lexer"))}
    return {key: value for key, value in kept.items() if value}


def make_raw_inert(cell: NotebookNode) -> None:
    """A raw cell without the mime type that makes nbconvert paste it into the page as HTML."""
    metadata = cell.get("metadata")
    if isinstance(metadata, dict):
        for key in ("raw_mimetype", "format"):
            metadata.pop(key, None)


def released_markdown(release: NotebookNode | None) -> set[str]:
    """The sources of the release's markdown cells (ours, so never rewritten)."""
    if release is None:
        return set()
    return {cell.source for cell in release.cells if cell.cell_type == "markdown"}


_CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def sanitize_cell(cell: NotebookNode, trusted: set[str] | None) -> None:
    """Make one cell safe in place: a code cell's outputs and execution count (nbconvert prints
    it unescaped), a markdown cell's attachments and, unless its source is in ``trusted`` (or
    ``trusted`` is None: the exporters clean markdown as they render it), its text; a raw cell's
    mime type. A cell id outside nbformat's pattern is replaced."""
    if "id" in cell and not _CELL_ID.match(str(cell["id"])):
        cell["id"] = uuid.uuid4().hex[:8]
    if cell.cell_type == "code":
        cell.outputs = sanitize_outputs(cell.get("outputs"))
        cell.execution_count = _count(cell.get("execution_count"))
    elif cell.cell_type == "markdown":
        if trusted is None or cell.source in trusted:
            keep_raster_attachments(cell)
        else:
            sanitize_markdown_cell(cell)
    else:
        make_raw_inert(cell)


def sanitize_notebook(notebook: NotebookNode, release: NotebookNode | None = None) -> NotebookNode:
    """A copy of ``notebook`` that is safe to open (see the module's docstring).

    Markdown cells equal to one of ``release``'s are kept as they are (apart from their
    attachments); every other markdown cell is the student's and is checked.
    """
    safe = copy.deepcopy(notebook)
    trusted = released_markdown(release)
    safe.metadata = NotebookNode(sanitize_metadata(safe.get("metadata")))
    for cell in safe.cells:
        sanitize_cell(cell, trusted)
    return safe


class SanitizeNotebook(Preprocessor):
    """The exporters' layer: outputs, metadata, attachments and cell fields made safe before
    rendering. Markdown text is left to the :func:`markdown2html` filter (which cleans what it
    renders), since the exporters cannot tell the release's cells from the student's."""

    enabled = Bool(True).tag(config=True)  # nbconvert skips preprocessors not enabled

    def preprocess(self, nb, resources):
        nb.metadata = NotebookNode(sanitize_metadata(nb.get("metadata")))
        for cell in nb.cells:
            sanitize_cell(cell, None)
        return nb, resources
