"""The "html-js" attack: outputs and markdown that try to run script in the instructor's pages.

Every payload, if it ran, would leave three traces: ``window.__pwned`` counts up, the page's
title becomes ``pwned`` and the page requests ``/pwned-<kind>`` (a browser test watches for all
three). The answer cell displays them as HTML, JavaScript, SVG, markdown, a widget view, an
unknown mime type, a broken PNG and a PNG whose metadata tries to add an attribute, next to a
payload-free plot that must still show; the student also adds a markdown cell (raw HTML, a
``javascript:`` link, SVG, an overlay, a MathJax ``\\href``, HTML and SVG attachments) and
writes a payload into a released markdown cell.
"""
from __future__ import annotations

import base64
import html
import re
from collections import Counter

from bs4 import BeautifulSoup
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell

MARKER = "pwned"
RASTER_MIME_TYPES = ("image/png", "image/jpeg", "image/gif")


def pwn(kind: str) -> str:
    """JavaScript (no braces, no double quotes) that leaves the three traces when it runs."""
    return f"window.__pwned=(window.__pwned||0)+1;document.title='{MARKER}';(new Image()).src='/{MARKER}-{kind}'"


# Code appended to an answer cell (tests.hostile.build formats it: braces are doubled).
ATTACK = """
    import base64 as _b64, io as _io
    import matplotlib.pyplot as _plt
    from IPython.display import HTML, SVG, Javascript, Markdown, display

    def _pwn(kind):
        return "window.__pwned=(window.__pwned||0)+1;document.title='pwned';(new Image()).src='/pwned-%s'" % kind

    display(HTML('<img src=x onerror="%s"><div style="position:fixed;top:0;left:0;width:100%%;height:100%%;'
                 'z-index:99999;background:red">overlay<div><div>' % _pwn("img")))
    display(HTML('<a href="jav&#x09;ascript:%s">click</a><iframe srcdoc="<script>%s</script>"></iframe>'
                 '<object data="data:text/html,x"></object><embed src="data:text/html,x">'
                 '<form action="/pwned-form"><button>go</button></form>'
                 '<meta http-equiv="refresh" content="0;url=/pwned-meta"><base href="http://127.0.0.1:9/">'
                 '<style>body {{ display: none }}</style>' % (_pwn("link"), _pwn("iframe"))))
    display(Javascript(_pwn("js")))
    display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="%s"><script>%s</script><foreignObject>'
                '<div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="%s"/></div></foreignObject></svg>'
                % (_pwn("svg-onload"), _pwn("svg-script"), _pwn("svg-foreign"))))
    display(Markdown("[click](javascript:%s) <script>%s</script>" % (_pwn("md-link"), _pwn("md-output"))))
    display({{"application/vnd.jupyter.widget-view+json": {{"model_id": "pwned", "version_major": 2,
                                                          "version_minor": 0}},
             "text/html": "<script>%s</script>" % _pwn("widget"), "text/plain": "a widget"}}, raw=True)
    display({{"application/x-pwned": "<script>%s</script>" % _pwn("unknown"), "text/plain": "custom"}}, raw=True)
    display({{"image/png": '"><script>%s</script>' % _pwn("png"), "text/plain": "not an image"}}, raw=True)
    _figure = _plt.figure(figsize=(3, 2))
    _plt.plot([0, 1, 2], [0, 1, 4])
    _buffer = _io.BytesIO()
    _figure.savefig(_buffer, format="png")
    _plt.close(_figure)
    _png = _b64.b64encode(_buffer.getvalue()).decode()
    display({{"image/png": _png, "text/plain": "a plot"}},
            metadata={{"image/png": {{"width": "300 onload=%s" % _pwn("width")}}}}, raw=True)
    display({{"image/png": _png, "text/plain": "a plot without payload"}}, raw=True)
"""


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def hostile_markdown() -> str:
    """The markdown cell the attacker adds."""
    return "\n".join([
        f"## My notes <script>{pwn('md-script')}</script>",
        "",
        f'<img src=x onerror="{pwn("md-img")}">',
        f"[a link](javascript:{pwn('md-link')}) and <a href=\"jav&#x09;ascript:{pwn('md-tab')}\">another</a>",
        f'<svg onload="{pwn("md-svg")}"><foreignObject><img src=x onerror="{pwn("md-fo")}"></foreignObject></svg>',
        f'<iframe srcdoc="<script>{pwn("md-iframe")}</script>"></iframe>',
        f"$\\href{{javascript:{pwn('md-tex')}}}{{x}}$",
        "![page](attachment:page.html) ![drawing](attachment:drawing.svg)",
        '<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:99999;background:red">',
    ])


def hostile_attachments() -> dict[str, dict[str, str]]:
    """Attachments of types that can hold script: HTML and SVG."""
    return {
        "page.html": {"text/html": _b64(f"<script>{pwn('attachment-html')}</script>")},
        "drawing.svg": {"image/svg+xml": _b64(f'<svg xmlns="http://www.w3.org/2000/svg" onload="{pwn("attachment-svg")}"/>')},
    }


def add_markdown(notebook: NotebookNode, cell: NotebookNode) -> None:
    """Add the attacker's markdown cell after ``cell`` and write a payload into the released
    markdown cell before it."""
    index = next(i for i, c in enumerate(notebook.cells) if c is cell)
    added = new_markdown_cell(hostile_markdown(), attachments=hostile_attachments())
    notebook.cells.insert(index + 1, added)
    released = next(c for c in reversed(notebook.cells[:index]) if c.cell_type == "markdown")
    released.source += f'\n\n<img src=x onerror="{pwn("md-edited")}">'


# --- what the tests look for ----------------------------------------------------------------------

ACTIVE_TAGS = frozenset({"script", "iframe", "frame", "object", "embed", "applet", "svg", "math", "foreignobject",
                         "style", "form", "meta", "base", "link", "template", "input", "button", "textarea",
                         "select", "video", "audio", "canvas"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster",
                            "ping", "srcset", "lowsrc", "dynsrc", "content"})
SAFE_URL_PREFIXES = ("http:", "https:", "mailto:", "data:image/png;", "data:image/jpeg;", "data:image/gif;")
OVERLAY_CSS = re.compile(r"position|z-index|fixed|absolute|url\(|expression|@import", re.IGNORECASE)
VOID_TAGS = frozenset({"img", "br", "hr", "col", "meta", "link", "base", "input", "source", "wbr", "area", "embed"})


def active_content(text: str) -> list[str]:
    """Everything in ``text`` (HTML) that could run, load or submit something, or lay itself over
    the page: script-capable elements, event handlers, non-web URLs, positioning styles, and the
    attacker's marker in any attribute. A deny list, independent of the grader's allowlist."""
    found = []
    for element in BeautifulSoup(text, "html.parser").find_all(True):
        if element.name in ACTIVE_TAGS:
            found.append(f"<{element.name}>")
        for name, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            compact = re.sub(r"[\s\x00-\x1f]", "", html.unescape(value)).lower()
            if name.startswith("on") or name == "srcdoc":
                found.append(f"<{element.name} {name}>")
            elif name in URL_ATTRIBUTES and re.match(r"^[a-z][a-z0-9+.-]*:", compact) \
                    and not compact.startswith(SAFE_URL_PREFIXES):
                found.append(f"<{element.name} {name}={compact[:30]}>")
            elif name == "style" and OVERLAY_CSS.search(value):
                found.append(f"<{element.name} style={value[:30]}>")
            if MARKER in value:
                found.append(f"<{element.name} {name}> holds the marker")
    return found


def unbalanced_tags(text: str) -> list[str]:
    """Tag names opened more often than closed (or the reverse): HTML that would leave its cell."""
    names = {name.lower() for name in re.findall(r"</?([A-Za-z][\w-]*)", text)} - VOID_TAGS
    return sorted(name for name in names
                  if len(re.findall(rf"<{name}[\s/>]", text, re.IGNORECASE))
                  != len(re.findall(rf"</{name}\s*>", text, re.IGNORECASE)))


def markdown_renderings(source: str, attachments: dict | None = None) -> list[str]:
    """``source`` rendered by nbconvert (as the Formgrader and feedback render markdown before
    cleaning) and by markdown-it (CommonMark with raw HTML, as JupyterLab's renderer reads it)."""
    from markdown_it import MarkdownIt

    from grader.sanitize import render_markdown

    return [render_markdown(source, attachments), MarkdownIt("commonmark", {"html": True}).render(source)]


def notebook_findings(notebook: NotebookNode) -> list[str]:
    """Active content in a notebook's outputs (any mime type but the safe ones, active HTML, image
    metadata that is not a number), markdown cells (as nbconvert and CommonMark render them) and
    attachments (anything but raster images)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            for mime, value in output.get("data", {}).items():
                if mime not in ("text/plain", "text/html", *RASTER_MIME_TYPES):
                    found.append(f"cell {index}: an output of type {mime}")
                elif mime == "text/html":
                    found += [f"cell {index}: output {item}" for item in active_content(value) + unbalanced_tags(value)]
            for sizes in output.get("metadata", {}).values():
                if not isinstance(sizes, dict) or not all(isinstance(v, int) for v in sizes.values()):
                    found.append(f"cell {index}: output metadata {sizes!r:.60}")
        if cell.cell_type == "markdown":
            for rendered in markdown_renderings(cell.source, cell.get("attachments")):
                found += [f"cell {index}: markdown {item}" for item in active_content(rendered)]
            for name, bundle in cell.get("attachments", {}).items():
                found += [f"cell {index}: attachment {name} of type {mime}" for mime in bundle
                          if mime not in RASTER_MIME_TYPES]
    return found


def page_findings(page: str, baseline: str) -> list[str]:
    """Active content in ``page`` beyond what ``baseline`` (a page of the same template) holds,
    and any script that carries the attacker's marker."""
    extra = Counter(active_content(page)) - Counter(active_content(baseline))
    marked = [script for script in BeautifulSoup(page, "html.parser").find_all("script") if MARKER in script.get_text()]
    return sorted(extra.elements()) + ["a script with the attacker's marker"] * len(marked)


def plots_shown(page: str) -> int:
    """How many embedded PNG images ``page`` shows."""
    return sum((img.get("src") or "").startswith("data:image/png;base64,")
               for img in BeautifulSoup(page, "html.parser").find_all("img"))
