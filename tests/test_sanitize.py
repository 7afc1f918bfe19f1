"""The sanitiser on a catalogue of XSS payloads (grader/sanitize.py), in each place it works:
HTML outputs, markdown cells, attachments, mime types, the exporters of the Formgrader and the
feedback (configured by grader/config.py), and the instructor's report.

What a payload becomes is checked by a deny list independent of the sanitiser's allowlist
(:func:`tests.hostile.html_js.active_content`): no script-capable element, event handler,
non-web URL or positioning style, and no tag left open or closed that would leave the cell.
"""
from __future__ import annotations

import base64
import os
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from grader.sanitize import (SAFE_MIME_TYPES, SanitizeNotebook, clean_html, markdown_is_safe, sanitize_notebook,
                             sanitize_output)
from tests.hostile.html_js import active_content, markdown_renderings, unbalanced_tags

PNG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                                     "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()

# payload -> what clean_html makes of it
HTML_PAYLOADS = {
    "img onerror": ('<img src=x onerror="alert(1)">', "<img>"),
    "img onerror, no quotes or spaces": ("<img/src=x/onerror=alert(1)>", "<img>"),
    "svg onload": ('<svg onload="alert(1)"><circle r="5"/></svg>', ""),
    "svg script": ("<svg><script>alert(1)</script></svg>", ""),
    "svg foreignObject": ('<svg><foreignObject><div onmouseover="alert(1)">hover</div></foreignObject></svg>', ""),
    "svg animate href": ('<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text>x</text></a></svg>', ""),
    "script": ("<script>alert(1)</script>after", "after"),
    "script, odd case and spacing": ("<ScRiPt >alert(1)</sCrIpT >after", "after"),
    "iframe srcdoc": ('<iframe srcdoc="<script>alert(1)</script>"></iframe>', ""),
    "iframe src": ('<iframe src="https://evil.example/"></iframe>', ""),
    "object": ('<object data="data:text/html,<script>alert(1)</script>"></object>', ""),
    "embed": ('<embed src="javascript:alert(1)">', ""),
    "javascript: link": ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
    "javascript: link, tab entity": ('<a href="jav&#x09;ascript:alert(1)">x</a>', "<a>x</a>"),
    "javascript: link, newline and case": ('<a href="  JaVa\nScRiPt:alert(1)">x</a>', "<a>x</a>"),
    "javascript: link, decimal entities": ('<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;'
                                           'alert(1)">x</a>', "<a>x</a>"),
    "vbscript: link": ('<a href="vbscript:msgbox(1)">x</a>', "<a>x</a>"),
    "data:text/html link": ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', "<a>x</a>"),
    "relative link into the server": ('<a href="/api/contents">x</a>', "<a>x</a>"),
    "https link opening a tab": ('<a href="https://example.org/" target="_blank">x</a>',
                                 '<a href="https://example.org/">x</a>'),
    "mailto link": ('<a href="mailto:ta@example.org">mail</a>', '<a href="mailto:ta@example.org">mail</a>'),
    "svg as a data image": ('<img src="data:image/svg+xml;base64,PHN2Zy8+">', "<img>"),
    "remote image (a tracking pixel)": ('<img src="https://evil.example/pixel.png">', "<img>"),
    "embedded PNG": (f'<img src="data:image/png;base64,{PNG}" width="10">',
                     f'<img src="data:image/png;base64,{PNG}" width="10">'),
    "unclosed div with an overlay style": ('<div style="position:fixed;top:0;left:0;width:100%;height:100%;'
                                           'z-index:99999">cover', "<div>cover</div>"),
    "closing tags that end the cell": ("</div></div></div><p>outside</p>", "<p>outside</p>"),
    "style element": ("<style>body { display: none }</style>text", "text"),
    "style import": ('<style>@import url("https://evil.example/x.css");</style>text', "text"),
    "meta refresh": ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', ""),
    "base": ('<base href="https://evil.example/">', ""),
    "form": ('<form action="https://evil.example/"><input name="x"><button>go</button></form>', ""),
    "link stylesheet": ('<link rel="stylesheet" href="https://evil.example/x.css">', ""),
    "the page's own classes": ('<div class="modal navbar-fixed-top">x</div>', "<div>x</div>"),
    "id and name clobbering": ('<img id="statusmessage" name="getElementById">', "<img>"),
    "comment trick": ("<!--><script>alert(1)</script>-->", ""),
    "mathml": ('<math><mtext><a href="javascript:alert(1)">x</a></mtext></math>', ""),
    "template": ("<template><script>alert(1)</script></template>", ""),
    "a DataFrame": ('<div><style scoped>.dataframe tbody tr th { vertical-align: top }</style>'
                    '<table border="1" class="dataframe"><thead><tr style="text-align: right;"><th></th>'
                    '<th style="text-align: left; position: fixed">a</th></tr></thead><tbody><tr><th>0</th>'
                    '<td>1</td></tr></tbody></table></div>',
                    '<div><table><thead><tr><th></th><th style="text-align: left;">a</th></tr></thead>'
                    '<tbody><tr><th>0</th><td>1</td></tr></tbody></table></div>'),
}


@pytest.mark.parametrize("name", list(HTML_PAYLOADS))
def test_html_payloads_become_inert(name):
    payload, expected = HTML_PAYLOADS[name]
    cleaned = clean_html(payload)
    assert cleaned == expected
    assert not active_content(cleaned) and not unbalanced_tags(cleaned)
    assert clean_html(cleaned) == cleaned  # a second pass (the exporters' layer) changes nothing


# Markdown a student may write (kept as it is) and markdown that is shown as text instead.
SAFE_MARKDOWN = [
    "# A heading\n\n## Another\n\nSome *emphasis*, **strong**, ~~struck~~ and `code <b>`.",
    "- a list\n- with items\n\n1. numbered\n2. items",
    "```python\ndef f(x):\n    return x < 1\n```",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    "Links: [docs](https://docs.python.org/3/), [mail](mailto:ta@example.org), <https://example.org>.",
    "Maths: $G_0 = \\sum_{k=0}^{T-1} \\gamma^k r_{k+1}$ for $i<k$, and $$a < b$$",
    "> a quote, a line<br>break and H<sub>2</sub>O",
    "![plot](attachment:plot.png)",
]
UNSAFE_MARKDOWN = {
    "raw script": "Notes <script>alert(1)</script>",
    "raw img onerror": '<img src=x onerror="alert(1)">',
    "tag without a space (CommonMark text, HTML elsewhere)": "<img/src=x/onerror=alert(1)>",
    "javascript: link": "[x](javascript:alert(1))",
    "javascript: link with a tab entity": "[x](jav&#x09;ascript:alert(1))",
    "raw javascript: anchor with a tab entity": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "data:text/html link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "svg": '<svg onload="alert(1)"><foreignObject><img src=x onerror=alert(2)></foreignObject></svg>',
    "iframe": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "unclosed overlay div": '<div style="position:fixed;top:0;left:0;width:100%;height:100%">\n\ncover',
    "style element": "<style>body { display: none }</style>",
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "base": '<base href="https://evil.example/">',
    "form": '<form action="https://evil.example/"><button>go</button></form>',
    "MathJax href": "$\\href{javascript:alert(1)}{click}$",
    "mermaid block (pasted unescaped by nbconvert)": "```mermaid\n<img src=x onerror=alert(1)>\n```",
    "file link": "[x](file:///etc/passwd)",
}


@pytest.mark.parametrize("source", SAFE_MARKDOWN)
def test_readable_markdown_is_kept_as_written(source):
    attachments = {"plot.png": {"image/png": PNG}}
    assert markdown_is_safe(source, attachments)
    notebook = sanitize_notebook(new_notebook(cells=[new_markdown_cell(source, attachments=attachments)]))
    assert notebook.cells[0].source == source
    rendered = clean_html(markdown_renderings(source, attachments)[0])
    assert not active_content(rendered)


def test_kept_markdown_renders_headings_tables_code_links_and_maths():
    rendered = clean_html(markdown_renderings("\n\n".join(SAFE_MARKDOWN), {"plot.png": {"image/png": PNG}})[0])
    for piece in ("<h1>A heading</h1>", "<em>emphasis</em>", "<li>a list</li>", '<span class="k">def</span>',
                  "<table>", '<th style="text-align:left;">a</th>', '<a href="https://docs.python.org/3/">docs</a>',
                  '<a href="mailto:ta@example.org">', "$G_0 = \\sum_{k=0}^{T-1}", "$i&lt;k$",
                  f'<img alt="plot" src="data:image/png;base64,{PNG}">'):
        assert piece in rendered, piece


@pytest.mark.parametrize("name", list(UNSAFE_MARKDOWN))
def test_unsafe_markdown_is_shown_as_text(name):
    source = UNSAFE_MARKDOWN[name]
    assert not markdown_is_safe(source)
    cell = sanitize_notebook(new_notebook(cells=[new_markdown_cell(source)])).cells[0]
    assert source in cell.source and cell.source.startswith("*The grader shows this cell as text")
    for rendered in markdown_renderings(cell.source):  # nbconvert's renderer and CommonMark, not cleaned
        assert not active_content(rendered), rendered
        assert "<pre" in rendered
    assert not active_content(clean_html(markdown_renderings(source)[0]))  # the exporters' own rendering


def test_a_fence_inside_the_markdown_cannot_close_the_text_block():
    source = "````\n<script>alert(1)</script>\n````\n<img src=x onerror=alert(1)>"
    cell = sanitize_notebook(new_notebook(cells=[new_markdown_cell(source)])).cells[0]
    for rendered in markdown_renderings(cell.source):
        assert not active_content(rendered), rendered


def test_released_markdown_is_kept_and_edited_markdown_is_checked():
    release = new_notebook(cells=[new_markdown_cell("Compare $a<d$ with <b>care</b>.")])
    submitted = new_notebook(cells=[new_markdown_cell("Compare $a<d$ with <b>care</b>."),
                                    new_markdown_cell("Compare $a<d$ with <b>care</b>.<img src=x onerror=alert(1)>")])
    cells = sanitize_notebook(submitted, release).cells
    assert cells[0].source == release.cells[0].source
    assert cells[1].source.startswith("*The grader shows this cell as text")


def test_only_raster_attachments_survive():
    attachments = {"plot.png": {"image/png": PNG}, "photo.jpg": {"image/jpeg": PNG},
                   "page.html": {"text/html": base64.b64encode(b"<script>alert(1)</script>").decode()},
                   "drawing.svg": {"image/svg+xml": base64.b64encode(b"<svg onload='alert(1)'/>").decode()},
                   "both.png": {"image/png": PNG, "image/svg+xml": "PHN2Zy8+"},
                   "broken.png": {"image/png": '"><script>alert(1)</script>'}}
    source = "![a](attachment:plot.png) ![b](attachment:page.html)"
    released = new_markdown_cell(source, attachments=attachments)
    student = new_markdown_cell(source + " ![c](attachment:drawing.svg)", attachments=attachments)
    cells = sanitize_notebook(new_notebook(cells=[released, student]), new_notebook(cells=[new_markdown_cell(source)])).cells
    for cell in cells:
        assert cell.attachments == {"plot.png": {"image/png": PNG}, "photo.jpg": {"image/jpeg": PNG},
                                    "both.png": {"image/png": PNG}}
    assert cells[0].source == source  # the release's text, its bad attachments gone
    assert cells[1].source.startswith("*The grader shows this cell as text")  # it referred to dropped ones


def _display(data: dict, metadata: dict | None = None) -> nbformat.NotebookNode:
    return new_output("display_data", data=data, metadata=metadata or {})


OUTPUTS = {
    "text/html": (_display({"text/html": "<img src=x onerror=alert(1)><b>bold</b>", "text/plain": "h"}),
                  {"text/html": "<img><b>bold</b>", "text/plain": "h"}),
    "application/javascript": (_display({"application/javascript": "alert(1)", "text/plain": "<Javascript>"}),
                               {"text/plain": "<Javascript>"}),
    "image/svg+xml": (_display({"image/svg+xml": "<svg onload='alert(1)'/>", "text/plain": "<SVG>"}),
                      {"text/plain": "<SVG>"}),
    "text/markdown": (_display({"text/markdown": "[x](javascript:alert(1)) **b**", "text/plain": "md"}),
                      {"text/html": "<p><a>x</a> <strong>b</strong></p>\n", "text/plain": "md"}),
    "widget view": (_display({"application/vnd.jupyter.widget-view+json": {"model_id": "m", "version_major": 2,
                                                                           "version_minor": 0},
                              "text/html": "<script>alert(1)</script>", "text/plain": "VBox()"}),
                    {"text/html": "", "text/plain": "VBox()"}),
    "unknown type without text": (_display({"application/x-evil": "<script>alert(1)</script>"}),
                                  {"text/plain": "[not shown by the grader: output of type application/x-evil]"}),
    "text/latex with \\href": (_display({"text/latex": "$\\href{javascript:alert(1)}{x}$", "text/plain": "tex"}),
                               {"text/plain": "tex"}),
    "html with MathJax \\href": (_display({"text/html": "$\\href{javascript:alert(1)}{x}$", "text/plain": "t"}),
                                 {"text/plain": "t"}),
    "a PNG that closes its attribute": (_display({"image/png": '"><script>alert(1)</script>', "text/plain": "p"}),
                                        {"text/plain": "p"}),
    "a plot (PNG)": (_display({"image/png": PNG, "text/plain": "<Figure>"}),
                     {"image/png": PNG + "\n", "text/plain": "<Figure>"}),
    "a photo (JPEG)": (_display({"image/jpeg": PNG, "text/plain": "<Image>"}),
                       {"image/jpeg": PNG + "\n", "text/plain": "<Image>"}),
}


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_outputs_keep_only_safe_mime_types(name):
    output, expected = OUTPUTS[name]
    safe = sanitize_output(output)
    assert dict(safe.data) == expected
    assert set(safe.data) <= set(SAFE_MIME_TYPES) - {"text/markdown"}


def test_image_metadata_keeps_numeric_sizes_only():
    output = _display({"image/png": PNG, "text/plain": "p"},
                      {"image/png": {"width": "1 onload=alert(1)", "height": 40, "unconfined": True},
                       "isolated": True, "filenames": {"image/png": '"><script>alert(1)</script>'}})
    assert sanitize_output(output).metadata == {"image/png": {"height": 40}}


def test_plain_outputs_stay_and_malformed_ones_go():
    outputs = [new_output("stream", name="stdout", text="hello <b>\n"),
               new_output("error", ename="ValueError", evalue="bad <script>", traceback=["line <i>"]),
               new_output("execute_result", data={"text/plain": "3"}, execution_count=4)]
    notebook = new_notebook(cells=[new_code_cell("x", outputs=outputs)])
    notebook.cells[0].outputs.append({"output_type": "pwned", "data": {"text/html": "<script>alert(1)</script>"}})
    notebook = sanitize_notebook(notebook)
    kept = notebook.cells[0].outputs
    assert [o.output_type for o in kept] == ["stream", "error", "execute_result"]
    assert kept[0].text == "hello <b>\n" and kept[1].evalue == "bad <script>" and kept[2].execution_count == 4


def test_cell_fields_nbconvert_prints_unescaped_are_normalised():
    notebook = new_notebook(cells=[new_code_cell("x")])
    notebook.cells[0].execution_count = "<script>alert(1)</script>"
    notebook.cells[0].id = 'x" onmouseover="alert(1)'
    for cell in (sanitize_notebook(notebook).cells[0], SanitizeNotebook().preprocess(notebook, {})[0].cells[0]):
        assert cell.execution_count is None and re.fullmatch(r"[A-Za-z0-9_-]+", cell.id)


def test_notebook_metadata_and_raw_cells_lose_what_renders_html():
    notebook = new_notebook(cells=[new_raw_cell("<script>alert(1)</script>", metadata={"raw_mimetype": "text/html"})],
                            metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}},
                                      "title": "<script>alert(1)</script>",
                                      "kernelspec": {"name": "python3", "display_name": "Python 3",
                                                     "language": "<script>"}})
    safe = sanitize_notebook(notebook)
    assert safe.metadata == {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    assert "raw_mimetype" not in safe.cells[0].metadata
    nbformat.validate(safe)


# --- the exporters, configured as in build/nbgrader/nbgrader_config.py --------------------------------------

def hostile_notebook() -> nbformat.NotebookNode:
    """A notebook as a student could hand it in, not sanitised (as if the second layer were missing)."""
    outputs = [output for output, _ in OUTPUTS.values()]
    markdown = [new_markdown_cell(source) for source in UNSAFE_MARKDOWN.values()]
    return new_notebook(cells=[*markdown, new_code_cell("x = 1", outputs=outputs),
                               new_raw_cell("<script>alert(1)</script>", metadata={"raw_mimetype": "text/html"})])


def export(notebook: nbformat.NotebookNode, template: str, tmp_path: Path) -> str:
    """``notebook`` as nbgrader renders it: the feedback page, or the Formgrader's submission view."""
    import nbgrader
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    from grader.config import nbgrader_config

    config = nbgrader_config(tmp_path)
    config.HTMLExporter.template_name = template  # what GenerateFeedback and FormgradeExtension set
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    config.HTMLExporter.extra_template_paths = [os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions",
                                                             "formgrader", "static", "node_modules", "bootstrap",
                                                             "dist", "css")]
    resources = {"base_url": "", "index": 0, "total": 1, "notebook_id": "n", "student": "s",
                 "nbgrader": {"notebook": "n", "student": "s", "score": 0, "max_score": 1, "late_penalty": 0}}
    return HTMLExporter(config=config).from_notebook_node(notebook, resources=resources)[0]


@pytest.mark.parametrize("template", ["feedback", "formgrade"])
def test_the_exporters_render_nothing_active_from_a_submission(template, tmp_path):
    page = export(hostile_notebook(), template, tmp_path)
    baseline = export(new_notebook(cells=[]), template, tmp_path)  # the template's own scripts and styles
    extra = Counter(active_content(page)) - Counter(active_content(baseline))
    assert not extra, extra
    assert not re.search(r"<script[^>]*>[^<]*alert", page)


def test_the_configured_preprocessor_is_the_sanitiser():
    from grader.config import settings_text

    text = settings_text(Path("/course"))
    assert "c.HTMLExporter.sanitize_html = True" in text
    assert "grader.sanitize.clean_html" in text and "grader.sanitize.markdown2html" in text
    assert '"grader.sanitize.SanitizeNotebook"' in text
    notebook, _ = SanitizeNotebook().preprocess(hostile_notebook(), {})
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert set(output.get("data", {})) <= set(SAFE_MIME_TYPES)


# --- the instructor's report escapes what students wrote ---------------------------------------------------

def test_the_report_escapes_student_strings(tmp_path):
    from grader.report import write_report
    from tests.test_report import sample_results

    results = sample_results()
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    entry = results.status["bob"]["01_first"]
    entry["problems"].append(f"the notebook was named {payload}.ipynb")
    entry["failures"].append({"name": f"f{payload}", "scenario": payload, "kind": payload, "hint": payload})
    entry["failed_scenarios"].append(f"f: {payload}")
    page = write_report(tmp_path / "report", tmp_path / "nbgrader", results).read_text()
    assert payload not in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert set(active_content(page)) <= {"<meta>", "<style>"}  # the page's own charset and style sheet
