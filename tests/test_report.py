"""The HTML report builder: self-contained, escaped, one section per demo."""

import base64
import re
from pathlib import Path

import matplotlib.pyplot as plt

from tinygan.app.report import data_uri, first_sentence, render_report, write_report


def _png(path):
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    fig.savefig(path)
    plt.close(fig)
    return str(path)


def test_report_embeds_figures_and_escapes_text(tmp_path):
    fig = _png(tmp_path / "a_figure.png")
    sections = [
        {"label": "Q1", "name": "one", "question": "Is 1 < 2 & why?",
         "answer": "Yes. Because <b>order</b>.", "figures": [fig],
         "table": [{"quantity": "x", "paper": 1, "tinygan": 1.0, "difference": "agrees"}],
         "claims": {"a": True, "b": False}, "seconds": 3.2},
        {"label": "Q2", "name": "two", "question": "Missing?", "missing": "not there yet"},
    ]
    path = write_report(sections, tmp_path / "out" / "report.html", title="T", intro="Hello.")
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "Is 1 &lt; 2 &amp; why?" in text and "<b>order</b>" not in text
    assert 'id="q1"' in text and 'id="q2"' in text and 'href="#q2"' in text
    assert "not there yet" in text and "1 of 2 checked claims hold" in text
    # the image is embedded, byte for byte, and nothing is loaded from elsewhere
    uri = re.search(r'src="(data:image/png;base64,[^"]+)"', text).group(1)
    assert base64.b64decode(uri.split(",", 1)[1]) == Path(fig).read_bytes()
    assert not re.search(r'(src|href)="(https?:)?//', text) and "<script" not in text
    assert "Q1.1. A figure" in text                            # caption from the file name
    assert "<p>Because &lt;b&gt;order&lt;/b&gt;.</p>" in text      # finding lifted out of the answer


def test_first_sentence_and_data_uri(tmp_path):
    assert first_sentence("One thing, e.g. this. Two. Three.") == "One thing, e.g. this."
    assert first_sentence("no full stop") == "no full stop"
    p = tmp_path / "x.png"
    p.write_bytes(b"\x89PNG")
    assert data_uri(p) == "data:image/png;base64," + base64.b64encode(b"\x89PNG").decode()
    assert render_report([]).count("<section") == 0


def test_demo_main_prints_question_answer_aligned_table_and_claims(capsys, tmp_path):
    from tinygan.app.report import demo_main, format_table

    rows = [{"quantity": "r_100", "paper": "2.326", "tinygan": "2.3259", "difference": "-0.0001"},
            {"quantity": "JS at theta != 0", "paper": "log 2", "tinygan": "0.6931", "difference": "0"}]
    lines = format_table(rows).splitlines()
    assert lines[0].split() == ["quantity", "paper", "tinygan", "difference"]
    assert lines[2].index("2.326") == lines[3].index("log 2") == lines[0].index("paper")  # aligned

    def run(quick, out):
        assert quick and out == str(tmp_path)
        return {"question": "Why?", "answer": "Because. " * 30, "table": rows,
                "claims": {"holds": True}, "figures": ["a.png"]}

    demo_main(run, "Why?", "runs/x", "fast", ["--quick", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert out.startswith("Why?") and "Because." in out and "claims: holds=True" in out
    assert "r_100" in out and "a.png" in out
