"""One self-contained HTML page from the results of the demos: text, checks, tables and figures.

    html = render_report(sections, title="...", intro="...")
    write_report(sections, "runs/tour/report.html")

A section is a demo's result dict (see tinygan.questions.common: question, finding, answer,
figures, captions, table, checks, seeds) plus "name" (the demo's name), "label" (e.g. "Q3")
and optionally "seconds", "command" (how to rerun it) and "pages" (training runs'
run.html files, each embedded as an interactive frame by run_page_frame); a section with "missing" (a
sentence) stands for a demo that did not run. Figures are embedded as base64 data URIs, the
style sheet and the few lines of script are inline: the file works offline, by e-mail, from
any folder, with no external CSS, scripts or fonts.

What the page shows, for a reader checking the evidence:
  * a tally at the top: per demo, the claims that held and, by name, the ones that failed;
    the self-checks (tinygan's closed forms against its own computation) counted apart;
  * per demo: the finding, the answer, every figure with a caption saying what to look at
    (a click opens it at full size), the claims with what was measured and why each
    threshold was chosen, the self-checks, and the table beside the papers.
Figures fill the page's width (about 1,000 px) on a desktop and shrink on a phone, where a tap
opens them full size; tables scroll sideways on a narrow screen.
"""

import base64
import html
import mimetypes
import re
from pathlib import Path

__all__ = ["render_report", "write_report", "data_uri", "first_sentence", "tally",
           "run_page_frame"]

COLUMNS = ("quantity", "paper", "expected", "closed form", "measured", "note")
HEADINGS = {"quantity": "quantity", "paper": "paper printed (where)", "expected": "expected",
            "closed form": "tinygan closed form", "measured": "tinygan measured", "note": "note"}

CSS = """
:root { --ink: #1d2327; --muted: #5b6770; --accent: #1f5f99; --rule: #dfe4e8; --bad: #b3261e;
        --good: #1a7f37; --finding: #fff7d6; --finding-edge: #e0b100; --paper: #fbfbf9; }
* { box-sizing: border-box; }
html { background: var(--paper); -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 64rem; padding: 2rem 1.25rem 4rem; color: var(--ink);
       font: 17px/1.6 Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif; }
.text { max-width: 46rem; }
h1, h2, h3, nav, table, figcaption, .meta, .label, .tally, .checks { font-family: system-ui,
       -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .4rem; }
h2 { font-size: 1.4rem; line-height: 1.3; margin: 0 0 .8rem; max-width: 46rem; }
h3 { font-size: 1rem; margin: 1.8rem 0 .6rem; color: var(--muted); text-transform: uppercase;
     letter-spacing: .04em; }
p { margin: .7rem 0; }
a { color: var(--accent); }
nav { background: #fff; border: 1px solid var(--rule); border-radius: 8px; padding: .9rem 1.2rem;
      margin: 1.5rem 0; font-size: .95rem; max-width: 46rem; }
nav ol { margin: .3rem 0 0; padding-left: 0; list-style: none; }
nav a { text-decoration: none; }
nav b { display: inline-block; min-width: 2.2rem; color: var(--ink); }
nav li { margin: .25rem 0; }
section { border-top: 3px solid var(--ink); padding-top: 1.4rem; margin-top: 3rem; }
.label { display: inline-block; font-size: .8rem; font-weight: 700; letter-spacing: .08em;
         color: #fff; background: var(--accent); border-radius: 4px; padding: .1rem .5rem;
         margin-bottom: .6rem; }
.finding { background: var(--finding); border-left: 5px solid var(--finding-edge); max-width: 46rem;
           padding: .8rem 1.1rem; margin: 1.2rem 0; border-radius: 0 6px 6px 0; }
.finding strong { font-family: system-ui, sans-serif; font-size: .8rem; letter-spacing: .06em;
                  text-transform: uppercase; display: block; color: #8a6d00; }
figure { margin: 1.6rem 0 2rem; }
figure img { display: block; width: 100%; max-width: 1000px; height: auto; margin: 0 auto;
             background: #fff; border: 1px solid var(--rule); border-radius: 6px; padding: 4px;
             cursor: zoom-in; }
figcaption { font-size: .9rem; color: var(--ink); margin: .5rem auto 0; max-width: 46rem; }
figcaption b { color: var(--muted); }
.hint { color: var(--muted); font-size: .8rem; }
.table-wrap { overflow-x: auto; margin: 1rem 0; -webkit-overflow-scrolling: touch; }
table { border-collapse: collapse; width: 100%; font-size: .82rem; line-height: 1.4; background: #fff; }
th, td { text-align: left; vertical-align: top; padding: .4rem .55rem; border-bottom: 1px solid var(--rule); }
thead th { border-bottom: 2px solid var(--ink); font-weight: 650; }
tbody tr:nth-child(even) { background: #f6f8f9; }
td.q { min-width: 12rem; }
td.m { font-variant-numeric: tabular-nums; }
.bad { color: var(--bad); font-weight: 600; }
.good { color: var(--good); font-weight: 600; }
.muted { color: var(--muted); }
.tally table { font-size: .86rem; }
.tally td:first-child { white-space: nowrap; }
.checks { font-size: .88rem; max-width: 46rem; }
.checks ul { padding-left: 0; list-style: none; margin: .4rem 0; }
.checks li { margin: .55rem 0; padding-left: 1.6rem; text-indent: -1.6rem; }
.checks .why { color: var(--muted); display: block; text-indent: 0; }
details { margin: .6rem 0; max-width: 46rem; }
summary { cursor: pointer; font-family: system-ui, sans-serif; font-size: .9rem; color: var(--accent); }
.meta { color: var(--muted); font-size: .85rem; }
.note { color: var(--muted); font-style: italic; }
footer { margin-top: 4rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--rule);
         padding-top: 1rem; max-width: 46rem; }
#lightbox { position: fixed; inset: 0; background: #14181c; z-index: 10;
            overflow: auto; cursor: zoom-out; display: none; -webkit-overflow-scrolling: touch; }
#lightbox.open { display: block; }
#lightbox img { display: block; margin: 1rem auto; max-width: none; background: #fff; }
#lightbox p { color: #fff; text-align: center; font: .85rem system-ui, sans-serif; margin: .6rem; }
@media (max-width: 600px) {
  body { font-size: 16px; padding: 1.2rem .8rem 3rem; }
  .tally table, .tally tbody, .tally tr, .tally td,
  .rows table, .rows tbody, .rows tr, .rows td { display: block; width: 100%; }
  .tally thead, .rows thead { display: none; }
  .tally tr, .rows tr { border-bottom: 1px solid var(--rule); padding: .4rem 0; }
  .tally td, .rows td { border: 0; padding: .1rem .3rem; }
  .rows td.q { font-weight: 650; min-width: 0; }
  .tally td[data-label]::before, .rows td[data-label]::before { content: attr(data-label) ": ";
       color: var(--muted); font-weight: 400; }
  .rows td[data-label]:empty { display: none; }
  h1 { font-size: 1.55rem; } h2 { font-size: 1.2rem; }
  figure img { padding: 1px; }
  td.q { min-width: 9rem; }
}
"""

# A click on a figure opens it at its own size in an overlay (scroll to pan on a phone); a click
# or Escape closes it. The overlay shows the very image already in the page: nothing is fetched.
SCRIPT = """
(function () {
  var box = document.getElementById('lightbox'), img = box.querySelector('img');
  document.querySelectorAll('figure img').forEach(function (el) {
    el.addEventListener('click', function () {
      img.src = el.src; img.alt = el.alt; box.classList.add('open'); box.scrollTop = 0;
    });
  });
  function close() { box.classList.remove('open'); img.removeAttribute('src'); }
  box.addEventListener('click', close);
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') close(); });
})();
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


# A claim the quick size cannot show (its budget is too short): counted apart, never as failed.
QUICK_STATE = "not evaluated at quick size"


def tally(items):
    """Claims held, failed (by item), not measured, not evaluated at quick size ("quick");
    self-checks passed and failed."""
    claims = [i for i in items if i.get("kind") == "claim"]
    measured = [i for i in claims if i.get("held") is not None]
    selfs = [i for i in items if i.get("kind") == "self-check"]
    unmeasured = [i for i in claims if i.get("held") is None]
    return {"claims": len(measured), "held": sum(bool(i["held"]) for i in measured),
            "failed": [i for i in measured if not i["held"]],
            "unmeasured": [i for i in unmeasured if i.get("state") != QUICK_STATE],
            "quick": [i for i in unmeasured if i.get("state") == QUICK_STATE],
            "self_checks": len(selfs), "passed": sum(bool(i["held"]) for i in selfs),
            "self_failed": [i for i in selfs if not i["held"]]}


def _esc(x):
    return html.escape(str(x))


def _paragraphs(text, cls=None):
    attr = f' class="{cls}"' if cls else ""
    return "".join(f"<p{attr}>{_esc(p.strip())}</p>" for p in re.split(r"\n\s*\n", text) if p.strip())


def _table(rows):
    if not rows:
        return ""
    cols = [c for c in COLUMNS if any(r.get(c) not in (None, "") for r in rows)]
    head = "".join(f"<th>{_esc(HEADINGS[c])}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = str(r.get(c, ""))
            cls = "q" if c == "quantity" else ("m" if c == "measured" else "")
            if "FAILED" in v or "DISAGREE" in v:
                cls += " bad"
            label = f' data-label="{_esc(HEADINGS[c])}"' if c != "quantity" else ""
            cells.append(f'<td class="{cls.strip()}"{label}>{_esc(v)}</td>' if cls.strip()
                         else f"<td{label}>{_esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return ('<div class="table-wrap rows"><table><thead><tr>' + head + "</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div>")


def _check_item(i, kind):
    if i["held"] is None:
        mark, cls = "–", "muted"
        word = i.get("state") or "not measured"
    elif i["held"]:
        mark, cls = "✓", "good"
        word = "held" if kind == "claim" else "passed"
    else:
        mark, cls = "✗", "bad"
        word = "FAILED"
    why = f'<span class="why">Threshold chosen because: {_esc(i["reason"])}</span>' if i.get("reason") else ""
    return (f'<li><span class="{cls}">{mark} {word}</span> <code>{_esc(i["name"])}</code>: {_esc(i["says"])}. '
            f'<span class="why">Measured: {_esc(i["measured"])}</span>{why}</li>')


def _checks(items):
    t = tally(items)
    claims = [i for i in items if i.get("kind") == "claim"]
    selfs = [i for i in items if i.get("kind") == "self-check"]
    parts = ['<div class="checks">']
    head = f"{t['held']} of {t['claims']} claims held"
    if t["failed"]:
        head += "; failed: " + ", ".join(i["name"] for i in t["failed"])
    if t["unmeasured"]:
        head += f"; {len(t['unmeasured'])} not measured in this run"
    if t["quick"]:
        head += f"; {len(t['quick'])} {QUICK_STATE}"
    parts.append(f'<p><b class="{"bad" if t["failed"] else "good"}">{_esc(head)}.</b> Claims are '
                 "experimental: each could fail, and its threshold was fixed, with its reason, before "
                 "the run.</p>")
    failed_first = sorted(claims, key=lambda i: (i["held"] is not False, i["held"] is None))
    parts.append("<ul>" + "".join(_check_item(i, "claim") for i in failed_first) + "</ul>")
    if selfs:
        status = f"{t['passed']} of {t['self_checks']} self-checks passed"
        if t["self_failed"]:
            status += "; FAILED: " + ", ".join(i["name"] for i in t["self_failed"])
        parts.append(f"<details{' open' if t['self_failed'] else ''}><summary>{_esc(status)} "
                     "(tinygan's closed forms against its own computation: they catch bugs, they are "
                     "not evidence about GANs)</summary><ul>"
                     + "".join(_check_item(i, "self-check") for i in selfs) + "</ul></details>")
    parts.append("</div>")
    return "".join(parts)


def _caption_from_name(path):
    stem = Path(path).stem.replace("_", " ")
    return stem[:1].upper() + stem[1:]


def _anchor(i, s):
    return s["label"].lower() if s.get("label") else f"q{i}"


def _section(i, s):
    anchor = _anchor(i, s)
    label = _esc(s.get("label", ""))
    if s.get("missing"):
        return (f'<section id="{anchor}"><span class="label">{label}</span>'
                f'<h2>{_esc(s.get("question", s["name"]))}</h2><p class="note">{_esc(s["missing"])}</p></section>')
    answer, finding = s["answer"], s.get("finding")
    if not finding:   # lift the first sentence out of the answer instead of repeating it
        finding = first_sentence(answer)
        answer = answer[len(finding):].strip() or answer
    parts = [f'<section id="{anchor}">', f'<span class="label">{label}</span>',
             f"<h2>{_esc(s['question'])}</h2>",
             f'<div class="finding"><strong>Finding</strong>{_esc(finding)}</div>',
             "<h3>Answer</h3>", f'<div class="text">{_paragraphs(answer)}</div>']
    if s.get("figures"):
        parts.append('<h3>Figures</h3><p class="hint">Click or tap a figure to open it at full size.</p>')
        captions = list(s.get("captions") or [])
        for k, fig in enumerate(s["figures"], 1):
            text = captions[k - 1] if k <= len(captions) else _caption_from_name(fig)
            num = f"Figure {s.get('label', i)}.{k}."
            parts.append(f'<figure><img src="{data_uri(fig)}" alt="{_esc(num + " " + text)}" loading="lazy">'
                         f"<figcaption><b>{_esc(num)}</b> {_esc(text)}</figcaption></figure>")
    if s.get("checks") is not None:
        parts += ["<h3>Claims and self-checks</h3>", _checks(s["checks"])]
    for k, page in enumerate(s.get("pages") or [], 1):
        parts.append(run_page_frame(page, f"Run {s.get('label', i)}.{k}: {Path(page).parent.name}, "
                                          "to scrub through (drag the slider or press play)"))
    if s.get("table"):
        parts += ["<h3>tinygan beside the papers</h3>",
                  '<p class="hint">"paper printed" is what a paper printed, with where; "tinygan closed '
                  'form" is tinygan\'s own calculation; "tinygan measured" is this run (mean ± standard '
                  "deviation over seeds). Sources: docs/references.md.</p>", _table(s["table"])]
    meta = [s.get("command") or f"tinygan demo {s['name']}"]
    if s.get("seeds") is not None:
        meta.append(f"seeds {', '.join(map(str, s['seeds']))}")
    if s.get("seconds") is not None:
        meta.append(f"ran in {s['seconds']:.0f} s")
    parts.append(f'<p class="meta">{_esc(" · ".join(meta))}</p></section>')
    return "\n".join(parts)


def _tally_table(sections):
    rows, total = [], {"claims": 0, "held": 0, "self": 0, "passed": 0}
    for i, s in enumerate(sections, 1):
        link = f'<a href="#{_anchor(i, s)}">{_esc(s.get("label", ""))} {_esc(s.get("name", ""))}</a>'
        if s.get("missing"):
            rows.append(f'<tr><td>{link}</td><td colspan="4" class="muted">did not run</td></tr>')
            continue
        t = tally(s.get("checks") or [])
        total["claims"] += t["claims"]
        total["held"] += t["held"]
        total["self"] += t["self_checks"]
        total["passed"] += t["passed"]
        failed = ", ".join(i["name"] for i in t["failed"]) or "none"
        if t["unmeasured"]:
            failed += f" ({len(t['unmeasured'])} not measured)"
        if t["quick"]:
            failed += f" ({len(t['quick'])} {QUICK_STATE})"
        seeds = s.get("seeds")
        rows.append(f'<tr><td>{link}</td><td data-label="claims held">{t["held"]} of {t["claims"]}</td>'
                    f'<td data-label="failed" class="{"bad" if t["failed"] else ""}">{_esc(failed)}</td>'
                    f'<td data-label="self-checks passed">{t["passed"]} of {t["self_checks"]}</td>'
                    f'<td data-label="seeds">{len(seeds) if seeds else "-"}</td></tr>')
    head = ("<thead><tr><th>demo</th><th>claims held</th><th>claims that failed</th>"
            "<th>self-checks passed</th><th>seeds</th></tr></thead>")
    summary = (f"<p><b>{total['held']} of {total['claims']} experimental claims held</b>; "
               f"{total['claims'] - total['held']} failed and are named below and in their sections. "
               f"Self-checks, counted apart: {total['passed']} of {total['self']} passed.</p>")
    return ('<div class="tally">' + summary + '<div class="table-wrap"><table>' + head + "<tbody>"
            + "".join(rows) + "</tbody></table></div></div>")


def render_report(sections, title="tinygan: a tour", intro="", footer=""):
    """The whole page as a string. sections: list of section dicts (module docstring)."""
    toc = []
    for i, s in enumerate(sections, 1):
        text = _esc(s.get("question", s.get("name", "")))
        note = " (did not run)" if s.get("missing") else ""
        toc.append(f'<li><a href="#{_anchor(i, s)}"><b>{_esc(s.get("label", ""))}</b> {text}</a>{note}</li>')
    body = [f"<h1>{_esc(title)}</h1>", f'<div class="text">{_paragraphs(intro)}</div>']
    if sections:
        body.append(_tally_table(sections))
        body.append("<nav><strong>Contents</strong><ol>" + "".join(toc) + "</ol></nav>")
    body += [_section(i, s) for i, s in enumerate(sections, 1)]
    if footer:
        body.append(f"<footer>{_paragraphs(footer)}</footer>")
    body.append('<div id="lightbox" role="dialog" aria-label="figure at full size">'
                "<p>Click anywhere or press Escape to close.</p><img alt=\"\"></div>")
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_esc(title)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + f"\n<script>{SCRIPT}</script>\n</body></html>\n")


def write_report(sections, path, **kwargs):
    """render_report(sections, **kwargs) written to `path` (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(sections, **kwargs), encoding="utf-8")
    return str(path)
