"""One self-contained HTML page from the results of the demos: text, tables and figures.

    html = render_report(sections, title="...", intro="...")
    write_report(sections, "runs/tour/report.html")

A section is a demo's result dict (question, answer, figures, table; see demos/) plus
"name" (its file name), "label" (e.g. "Q3") and optionally "seconds", "finding" (the
one-sentence takeaway shown highlighted; by default the answer's first sentence, which is
then not repeated under it), "captions" (one per figure; by default from the file name) and
"pages" (paths of training runs' run.html, each embedded as an interactive frame by
run_page_frame). Figures are embedded as base64 data URIs and the style sheet is inline, so
the file works offline, by e-mail, from any folder: no external CSS, scripts or fonts.
"""

import argparse
import base64
import html
import mimetypes
import re
import textwrap
from pathlib import Path

__all__ = ["render_report", "write_report", "data_uri", "first_sentence", "run_page_frame"]

CSS = """
:root { --ink: #1d2327; --muted: #5b6770; --accent: #1f5f99; --rule: #dfe4e8;
        --finding: #fff7d6; --finding-edge: #e0b100; --paper: #fbfbf9; }
* { box-sizing: border-box; }
html { background: var(--paper); }
body { margin: 0 auto; max-width: 50rem; padding: 2.5rem 1.25rem 4rem; color: var(--ink);
       font: 17px/1.6 Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif; }
h1, h2, h3, nav, table, figcaption, .meta, .label { font-family: system-ui, -apple-system,
       "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 2.1rem; line-height: 1.2; margin: 0 0 .4rem; }
h2 { font-size: 1.45rem; line-height: 1.3; margin: 0 0 .8rem; }
h3 { font-size: 1.05rem; margin: 1.8rem 0 .6rem; color: var(--muted); text-transform: uppercase;
     letter-spacing: .04em; }
p { margin: .7rem 0; }
a { color: var(--accent); }
.subtitle { color: var(--muted); margin-top: 0; }
nav { background: #fff; border: 1px solid var(--rule); border-radius: 8px; padding: .9rem 1.2rem;
      margin: 1.8rem 0 2.5rem; font-size: .95rem; }
nav ol { margin: .3rem 0 0; padding-left: 0; list-style: none; }
nav a { text-decoration: none; }
nav a:hover { text-decoration: underline; }
nav b { display: inline-block; min-width: 2.2rem; color: var(--ink); }
nav li { margin: .25rem 0; }
nav .missing { color: var(--muted); }
section { border-top: 3px solid var(--ink); padding-top: 1.4rem; margin-top: 3.2rem; }
.label { display: inline-block; font-size: .8rem; font-weight: 700; letter-spacing: .08em;
         color: #fff; background: var(--accent); border-radius: 4px; padding: .1rem .5rem;
         margin-bottom: .6rem; }
.finding { background: var(--finding); border-left: 5px solid var(--finding-edge);
           padding: .8rem 1.1rem; margin: 1.2rem 0; border-radius: 0 6px 6px 0; }
.finding strong { font-family: system-ui, sans-serif; font-size: .8rem; letter-spacing: .06em;
                  text-transform: uppercase; display: block; color: #8a6d00; }
figure { margin: 1.8rem 0; }
figure.wide { width: min(68rem, 96vw); position: relative; left: 50%; transform: translateX(-50%); }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; background: #fff;
             border: 1px solid var(--rule); border-radius: 6px; padding: 4px; }
figure.wide figcaption { max-width: 46rem; margin-left: auto; margin-right: auto; }
figcaption { font-size: .88rem; color: var(--muted); margin-top: .45rem; text-align: center; }
.table-wrap { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; font-size: .84rem; line-height: 1.4;
        background: #fff; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem;
         border-bottom: 1px solid var(--rule); }
thead th { border-bottom: 2px solid var(--ink); font-weight: 650; white-space: nowrap; }
tbody tr:nth-child(even) { background: #f6f8f9; }
td.num { font-variant-numeric: tabular-nums; }
td.bad { color: #b3261e; font-weight: 600; }
.meta { color: var(--muted); font-size: .85rem; }
.note { color: var(--muted); font-style: italic; }
footer { margin-top: 4rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--rule);
         padding-top: 1rem; }
"""


def data_uri(path):
    """The file at `path` as a data: URI (base64), for embedding an image in HTML."""
    path = Path(path)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def first_sentence(text):
    """The first sentence of `text` (up to the first '. ' followed by a capital)."""
    m = re.search(r"(?<=[.!?])\s+(?=[A-Z(])", text)
    return text[:m.start()] if m else text


def run_page_frame(path, caption="", height=960):
    """A run's run.html (tinygan.app.page) as an HTML fragment: a <figure> holding an <iframe>.

    The page's whole text goes into the frame's srcdoc attribute (escaped), so the report
    stays one self-contained file, and the page's script and style stay apart from the
    report's. `height` in CSS pixels; a taller page scrolls inside its frame.
    """
    text = Path(path).read_text(encoding="utf-8")
    label = caption or "A training run: drag the slider or press play"
    return (f'<figure class="wide"><iframe srcdoc="{html.escape(text, quote=True)}" '
            f'title="{html.escape(label)}" style="display:block;width:100%;height:{int(height)}px;'
            f'border:1px solid var(--rule);border-radius:6px;background:#fff"></iframe>'
            f"<figcaption>{html.escape(label)}</figcaption></figure>")


def _caption(path):
    """A caption from a figure's file name: 'modes_over_steps.png' -> 'Modes over steps'."""
    stem = Path(path).stem.replace("_", " ")
    return stem[:1].upper() + stem[1:]


def _table(rows):
    if not rows:
        return ""
    cols = ["quantity", "paper", "tinygan", "difference"]
    head = "".join(f"<th>{html.escape(c if c != 'paper' else 'paper / claim')}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = str(r.get(c, ""))
            cls = "num" if c != "quantity" else ""
            if "DISAGREE" in v:
                cls += " bad"
            cells.append(f'<td class="{cls.strip()}">{html.escape(v)}</td>' if cls.strip()
                         else f"<td>{html.escape(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return ('<div class="table-wrap"><table><thead><tr>' + head + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div>")


def _paragraphs(text):
    return "".join(f"<p>{html.escape(p.strip())}</p>" for p in re.split(r"\n\s*\n", text) if p.strip())


def _section(i, s):
    anchor = f"q{i}" if not s.get("label") else s["label"].lower()
    if s.get("missing"):
        return (f'<section id="{anchor}"><span class="label">{html.escape(s.get("label", ""))}</span>'
                f'<h2>{html.escape(s.get("question", s["name"]))}</h2>'
                f'<p class="note">{html.escape(s["missing"])}</p></section>')
    answer = s["answer"]
    finding = s.get("finding")
    if not finding:   # lift the first sentence out of the answer instead of repeating it
        finding = first_sentence(answer)
        answer = answer[len(finding):].strip() or answer
    parts = [f'<section id="{anchor}">',
             f'<span class="label">{html.escape(s.get("label", ""))}</span>',
             f"<h2>{html.escape(s['question'])}</h2>",
             f'<div class="finding"><strong>Finding</strong>{html.escape(finding)}</div>',
             "<h3>Answer</h3>", _paragraphs(answer)]
    if s.get("figures"):
        parts.append("<h3>Figures</h3>")
        captions = list(s.get("captions") or [])
        for k, fig in enumerate(s["figures"], 1):
            text = captions[k - 1] if k <= len(captions) else _caption(fig)
            cap = f"Figure {s.get('label', i)}.{k}. {text}"
            parts.append(f'<figure class="wide"><img src="{data_uri(fig)}" alt="{html.escape(cap)}">'
                         f"<figcaption>{html.escape(cap)}</figcaption></figure>")
    for k, page in enumerate(s.get("pages") or [], 1):
        parts.append(run_page_frame(page, f"Run {s.get('label', i)}.{k}: {Path(page).parent.name}, "
                                          "to scrub through (drag the slider or press play)"))
    if s.get("table"):
        parts += ["<h3>tinygan beside the papers</h3>", _table(s["table"])]
    meta = [f"demos/{s['name']}.py"]
    if s.get("seconds") is not None:
        meta.append(f"ran in {s['seconds']:.0f} s")
    claims = s.get("claims") or {}
    if claims:
        ok = sum(bool(v) for v in claims.values())
        meta.append(f"{ok} of {len(claims)} checked claims hold")
    parts.append(f'<p class="meta">{html.escape(" · ".join(meta))}</p></section>')
    return "\n".join(parts)


def render_report(sections, title="tinygan: a tour", intro="", footer=""):
    """The whole page as a string. sections: list of section dicts (module docstring)."""
    toc = []
    for i, s in enumerate(sections, 1):
        anchor = s["label"].lower() if s.get("label") else f"q{i}"
        text = html.escape(s.get("question", s["name"]))
        label = html.escape(s.get("label", ""))
        cls = ' class="missing"' if s.get("missing") else ""
        note = " (not in this checkout yet)" if s.get("missing") else ""
        toc.append(f'<li{cls}><a href="#{anchor}"><b>{label}</b> {text}</a>{note}</li>')
    body = [f"<h1>{html.escape(title)}</h1>", _paragraphs(intro),
            "<nav><strong>Contents</strong><ol>" + "".join(toc) + "</ol></nav>"]
    body += [_section(i, s) for i, s in enumerate(sections, 1)]
    if footer:
        body.append(f"<footer>{_paragraphs(footer)}</footer>")
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def write_report(sections, path, **kwargs):
    """render_report(sections, **kwargs) written to `path` (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(sections, **kwargs), encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------------- the terminal

def format_table(rows, cols=("quantity", "paper", "tinygan", "difference")):
    """A demo's table (a list of dicts) as aligned plain-text columns, header first."""
    cells = [[str(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = [cols, ["-" * w for w in widths]] + cells
    return "\n".join("  ".join(s.ljust(w) for s, w in zip(row, widths)).rstrip() for row in lines)


def print_result(res):
    """Print what a demo's run() returned: question, answer, table, claims, figures."""
    print(res["question"], "\n")
    print(textwrap.fill(res["answer"], 96), "\n")
    print(format_table(res["table"]))
    print("\nclaims:", ", ".join(f"{k}={v}" for k, v in res["claims"].items()))
    print("figures:", *res["figures"], sep="\n  ")


def demo_main(run, question, default_out, quick_help, argv=None):
    """The command line every demo shares: --quick, --out; runs it and prints the result."""
    parser = argparse.ArgumentParser(description=question)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--out", default=default_out, help=f"folder for the figures (default {default_out})")
    args = parser.parse_args(argv)
    print_result(run(quick=args.quick, out=args.out))
