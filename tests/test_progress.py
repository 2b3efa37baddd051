"""The progress line: fits the terminal, leaves no stale text, shows rate and time left, and
updates one output line in Jupyter."""

import io
import sys
import types

import pytest

from tinygan import Trainer
from tinygan.app.progress import Progress, clock

ROW = {"d_loss": 1.25, "g_loss": 0.5}
EVAL = {"step": 1000, "modes": 8, "n_modes": 8, "high_quality": 0.712}


class Terminal(io.StringIO):
    def isatty(self):
        return True


def fake_trainer(step, evaluations=()):
    return types.SimpleNamespace(step=step, evaluations=list(evaluations))


def redraws(text):
    """The successive contents of the line: what follows each carriage return."""
    return text.split("\r")[1:]


@pytest.mark.parametrize("width", [40, 60, 80, 100, 200])
def test_every_line_fits_the_terminal_and_says_rate_and_time_left(width, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(width))
    p = Progress(6000, start=0, stream=Terminal())
    p.last_eval = "modes 8/8 hq 71%"
    text = p.line(1200, ROW, width, now=p.start + 10.0)   # 1,200 steps in 10 s, 4,800 to go
    assert len(text) <= width - 1, (width, text)
    assert text.startswith("step 1200/6000")
    assert "120 it/s" in text and "0:40 left" in text
    if width >= 80:                            # room for the bar and the evaluation
        assert "[" in text and "modes 8/8 hq 71%" in text
    if width >= 100:
        assert "d 1.250 g 0.500" in text


def test_redrawing_in_a_terminal_pads_over_the_previous_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = Terminal()
    p = Progress(100, stream=out, every=0.0)
    p.show("a long line of forty characters, roughly")
    p.show("short")
    first, second = redraws(out.getvalue())
    assert len(second) == len(first) and second.strip() == "short"   # the old text is blanked
    p.close()
    assert out.getvalue().endswith("\n")


def test_a_terminal_run_draws_at_most_ten_times_a_second_and_always_the_last_step(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = Terminal()
    p = Progress(500, stream=out)               # every = 0.1 s: 500 fast steps are few redraws
    for step in range(1, 501):
        p(fake_trainer(step), ROW)
    lines = redraws(out.getvalue())
    assert 1 <= len(lines) < 50
    assert lines[-1].startswith("step 500/500") and "done in" in lines[-1]
    assert all(len(line.rstrip("\n")) <= 79 for line in lines)
    assert out.getvalue().endswith("\n")                 # the last step ends the line


def test_a_log_file_gets_a_line_every_five_percent():
    out = io.StringIO()
    p = Progress(200, stream=out)
    for step in range(1, 201):
        p(fake_trainer(step, [EVAL] if step == 100 else []), ROW)
    lines = out.getvalue().splitlines()
    assert len(lines) == 20 and "\r" not in out.getvalue()
    assert lines[-1].startswith("step 200/200")


def test_in_jupyter_one_output_is_updated_in_place(monkeypatch):
    """Inside an IPython kernel (here a stand-in: IPython is not a dependency) the progress
    goes to one display with a display_id, updated in place, never to stderr."""
    calls = []

    class Handle:
        def update(self, bundle, raw=False):
            calls.append(("update", bundle["text/plain"], raw))

    def display(bundle, raw=False, display_id=None):
        calls.append(("display", bundle["text/plain"], raw, display_id))
        return Handle() if display_id else None

    shell = types.SimpleNamespace(kernel=object())
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    ipython_display = types.ModuleType("IPython.display")
    ipython_display.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)

    t = Trainer(data="ring", steps=30, batch_size=16, g_hidden=(8,), d_hidden=(8,), eval_every=0)
    t.train(callback=Progress(30))
    assert calls[0][0] == "display" and calls[0][3] is True              # one display ...
    assert all(c[0] == "update" for c in calls[1:]) and calls[-1][0] == "update"
    assert calls[-1][1].startswith("step 30/30")                         # ... ending at the last step
    assert err.getvalue() == ""

    shell.kernel = None                       # a terminal IPython is not a notebook
    calls.clear()
    monkeypatch.setattr(sys, "stderr", Terminal())
    Trainer(data="ring", steps=3, batch_size=16, g_hidden=(8,), d_hidden=(8,), eval_every=0).train(
        callback=Progress(3))
    assert calls == [] and "step 3/3" in sys.stderr.getvalue()


def test_train_with_progress_draws_on_stderr_and_ends_the_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")
    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    t = Trainer(data="ring", steps=20, batch_size=16, g_hidden=(8,), d_hidden=(8,), eval_every=10,
                eval_samples=200)
    t.train(callback=Progress(20))
    lines = redraws(err.getvalue())
    assert lines[-1].rstrip("\n").startswith("step 20/20") and err.getvalue().endswith("\n")
    assert all(len(line.rstrip("\n")) <= 71 for line in lines)


def test_clock():
    assert [clock(s) for s in (0, 9.6, 61, 3599, 3600, 7325)] == [
        "0:00", "0:10", "1:01", "59:59", "1:00:00", "2:02:05"]
