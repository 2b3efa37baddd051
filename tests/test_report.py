"""The HTML report: self-contained, escaped, failures named, self-checks apart, figures that open."""

import base64
import re
from pathlib import Path

import matplotlib.pyplot as plt

from tinygan.questions.report import data_uri, first_sentence, render_report, tally, write_report


def _png(path):
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    fig.savefig(path)
    plt.close(fig)
    return str(path)


def _checks():
    return [
        {"kind": "claim", "name": "grows", "says": "it grows", "reason": "the paper's Fig. 3",
         "measured": "x3", "held": True},
        {"kind": "claim", "name": "gets_noisier", "says": "it gets noisier", "reason": "Thm 2.6",
         "measured": "0.29 -> 0.02", "held": False},
        {"kind": "claim", "name": "matches_row", "says": "it matches the row", "reason": "like with like",
         "measured": "no such row", "held": None},
        {"kind": "self-check", "name": "slope_fd", "says": "slope vs finite differences", "reason": "",
         "measured": "1e-10", "held": True},
    ]


def _sections(fig):
    return [
        {"label": "Q1", "name": "one", "question": "Is 1 < 2 & why?", "finding": "Yes <b>it is</b>.",
         "answer": "Because <b>order</b>.\n\nSecond paragraph.", "figures": [fig],
         "captions": ["Look at the line: it rises."], "seeds": [0, 1, 2], "seconds": 3.2,
         "table": [{"quantity": "x", "paper": "1 (Table 1)", "closed form": "1.0", "measured": "1.0 ± 0.1 (3 seeds)"}],
         "checks": _checks()},
        {"label": "Q2", "name": "two", "question": "Missing?", "missing": "did not run"},
    ]


def test_report_embeds_figures_escapes_text_and_names_failures(tmp_path):
    fig = _png(tmp_path / "a_figure.png")
    path = write_report(_sections(fig), tmp_path / "out" / "report.html", title="T", intro="Hello.")
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'name="viewport"' in text
    assert "Is 1 &lt; 2 &amp; why?" in text and "<b>order</b>" not in text and "<b>it is</b>" not in text
    assert 'id="q1"' in text and 'id="q2"' in text and 'href="#q2"' in text and "did not run" in text
    # the image is embedded byte for byte, its caption says what to look at, nothing is fetched
    uri = re.search(r'<img src="(data:image/png;base64,[^"]+)"', text).group(1)
    assert base64.b64decode(uri.split(",", 1)[1]) == Path(fig).read_bytes()
    assert "Figure Q1.1.</b> Look at the line: it rises." in text
    assert not re.search(r'(src|href)="(https?:)?//', text) and "<link" not in text
    # the tally: claims and self-checks counted apart, the failed claim named, the unmeasured one apart
    assert "1 of 2 experimental claims held" in text and "1 of 1 passed" in text
    assert re.search(r'class="bad">gets_noisier \(1 not measured\)</td>', text)
    assert "✗ FAILED</span> <code>gets_noisier</code>" in text and "Measured: 0.29 -&gt; 0.02" in text
    assert "Threshold chosen because: Thm 2.6" in text and "not measured" in text
    assert text.index("gets_noisier</code>") < text.index("grows</code>")     # failures first
    # the table shows only the columns used, under their headings
    assert "paper printed (where)" in text and "tinygan closed form" in text and "expected" not in text
    assert "seeds 0, 1, 2" in text and "ran in 3 s" in text


def test_a_click_opens_the_figure_full_size_without_fetching_anything(tmp_path):
    text = render_report(_sections(_png(tmp_path / "f.png")))
    script = re.search(r"<script>(.*?)</script>", text, re.S).group(1)
    assert "img.src = el.src" in script and "Escape" in script        # the same image, no request
    assert 'id="lightbox"' in text and "#lightbox.open" in text
    assert "fetch" not in script and "XMLHttpRequest" not in script and "http" not in script
    assert "max-width: 1000px" in text and "@media (max-width: 600px)" in text


def test_tally_and_small_helpers(tmp_path):
    t = tally(_checks())
    assert (t["held"], t["claims"], t["passed"], t["self_checks"]) == (1, 2, 1, 1)
    assert [i["name"] for i in t["failed"]] == ["gets_noisier"] and len(t["unmeasured"]) == 1
    assert first_sentence("One thing, e.g. this. Two. Three.") == "One thing, e.g. this."
    assert first_sentence("no full stop") == "no full stop"
    p = tmp_path / "x.png"
    p.write_bytes(b"\x89PNG")
    assert data_uri(p) == "data:image/png;base64," + base64.b64encode(b"\x89PNG").decode()
    assert render_report([]).count("<section") == 0


def test_a_section_without_a_finding_lifts_the_answers_first_sentence(tmp_path):
    s = _sections(_png(tmp_path / "f.png"))[0]
    del s["finding"]
    text = render_report([s])
    assert "<strong>Finding</strong>Because &lt;b&gt;order&lt;/b&gt;.</div>" in text
    assert "<p>Second paragraph.</p>" in text
