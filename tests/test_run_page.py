"""run.html: what it carries (checked in Python) and what it does (checked in a real browser).

The browser tests drive headless Chromium through the DevTools protocol over a pipe
(--remote-debugging-pipe: JSON messages separated by a NUL byte on the child's fds 3 and 4).
That needs nothing beyond the standard library and the browser itself: no selenium, no
chromedriver, no websocket client, and no port to find or leave open. Without a Chromium
the browser tests are skipped and say how to install one.
"""

import base64
import fcntl
import html
import json
import os
import re
import select
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import Normalize

from tinygan import Config, Trainer
from tinygan.app import page, run
from tinygan.app.page import (colour_index, colour_table, frame, page_data, render_run_page,
                              run_meta, write_run_page)
from tinygan.questions.report import run_page_frame, write_report
from tinygan.plots.snapshots import D_CMAP

TINY = dict(steps=12, batch_size=32, g_hidden=(16,), d_hidden=(16,), eval_every=4,
            eval_samples=200, z_dim=4)


def tiny_run(data="ring", every=2, **kw):
    """A tiny trained Trainer and a frame every `every` steps."""
    t = Trainer(data=data, **{**TINY, **kw})
    frames = []
    t.train(callback=lambda tr, row: frames.append(frame(tr, n=64, grid=12))
            if tr.step % every == 0 else None)
    return t, frames


def b64(text, dtype):
    return np.frombuffer(base64.b64decode(text), dtype=np.dtype(dtype).newbyteorder("<"))


# ============================================================================ the data, in Python

def test_colours_are_the_figures_colours():
    """Index colour_index(d) into colour_table() and you get matplotlib's colour for d."""
    rng = np.random.default_rng(0)
    table = np.array(colour_table())
    d = rng.uniform(-0.1, 1.1, (30, 30))            # includes values outside [0, 1]
    q, scale = colour_index(d, uses_sigmoid=True, threshold=0.0)
    assert scale == (0.0, 1.0)
    np.testing.assert_array_equal(table[q], np.round(255 * D_CMAP(np.clip(d, 0, 1))[..., :3]))
    # a critic: colours on [mid - m, mid + m], m the largest distance from the threshold
    s = rng.normal(0.5, 3.0, (30, 30))
    q, (lo, hi) = colour_index(s, uses_sigmoid=False, threshold=0.5)
    m = np.abs(s - 0.5).max()
    assert (lo, hi) == pytest.approx((0.5 - m, 0.5 + m))
    np.testing.assert_array_equal(table[q], np.round(255 * D_CMAP(Normalize(lo, hi)(s))[..., :3]))
    assert table.shape == (256, 3) and table[0].tolist() != table[255].tolist()


def test_page_data_carries_the_frames_exactly():
    t, frames = tiny_run()
    data = page_data(frames, t.history, t.evaluations, run_meta(t))
    assert [f["step"] for f in data["frames"]] == [2, 4, 6, 8, 10, 12]
    f, enc = frames[-1], data["frames"][-1]
    np.testing.assert_array_equal(b64(enc["real"], np.float32).reshape(-1, 2), f["real"].astype(np.float32))
    np.testing.assert_array_equal(b64(enc["fake"], np.float32).reshape(-1, 2), f["fake"].astype(np.float32))
    np.testing.assert_array_equal(b64(enc["arrows"], np.float32).reshape(-1, 2), f["arrows"].astype(np.float32))
    np.testing.assert_array_equal(b64(enc["arrow_index"], np.int32), f["arrow_index"])
    q, _ = colour_index(f["d_grid"], True, 0.0)
    np.testing.assert_array_equal(b64(enc["d"], np.uint8).reshape(12, 12), q)
    assert enc["grid_x"] == [pytest.approx(f["grid_x"][0]), pytest.approx(f["grid_x"][-1]), 12]
    assert data["evals"] == [{"step": e["step"], **{k: pytest.approx(e[k], rel=1e-3)
                                                    for k in page.EVAL_KEYS if k in e}}
                             for e in t.evaluations]
    assert len(data["centres"]) == 8 and data["meta"]["data"] == "ring"


def test_history_is_averaged_over_at_most_1000_bins():
    n = 2503
    history = {"step": list(range(1, n + 1)), "g_loss": list(np.arange(n) % 7 * 1.0)}
    out = page._binned(history)
    assert len(out["step"]) == page.HISTORY_POINTS
    edges = np.unique(np.linspace(0, n, 1001).round().astype(int))
    i = 500   # bin i averages steps edges[i] + 1 .. edges[i + 1]
    want = np.mean(np.arange(n)[edges[i]:edges[i + 1]] % 7)
    assert out["g_loss"][i] == pytest.approx(want, rel=1e-3)
    short = page._binned({"step": [1, 2, 3], "g_loss": [0.5, 0.25, float("nan")]})
    assert short == {"step": [1, 2, 3], "g_loss": [0.5, 0.25, None]}   # JSON has no NaN


def test_1d_and_image_runs_have_frames_too():
    t, frames = tiny_run("mixture1d", every=6)
    enc = page_data(frames, t.history, t.evaluations, run_meta(t))["frames"]
    assert [f["step"] for f in enc] == [6, 12] and len(b64(enc[0]["d"], np.float32)) == 12
    t, frames = tiny_run("digits", every=6, g_output="tanh")
    enc = page_data(frames, t.history, t.evaluations, run_meta(t))
    img = b64(enc["frames"][0]["images"], np.uint8)
    assert len(img) == page.IMAGES * 64 and enc["meta"]["image_size"] == 8
    want = np.clip(np.round(127.5 * (frames[0]["images"] + 1)), 0, 255)
    np.testing.assert_array_equal(img, want.ravel())


def test_text_in_the_data_cannot_end_the_script(tmp_path):
    t, frames = tiny_run()
    meta = {**run_meta(t), "data": "x</script><script>alert(1)</script>&"}
    text = render_run_page(frames, t.history, t.evaluations, meta)
    template = page._template()
    assert text.count("</script>") == template.count("</script>")
    assert "<title>tinygan run: x&lt;/script>&lt;script>alert(1)&lt;/script>&amp; data" in text
    blob = re.search(r'<script type="application/json" id="run-data">(.*?)</script>', text, re.S)
    assert json.loads(blob.group(1))["meta"]["data"] == meta["data"]


def test_bad_input_is_one_clear_error():
    t, frames = tiny_run()
    with pytest.raises(ValueError, match="meta lacks loss, .*run_meta"):
        page_data(frames, t.history, t.evaluations, {"data": "ring"})
    with pytest.raises(ValueError, match="history must be a Trainer's history"):
        page_data(frames, [1, 2], t.evaluations, run_meta(t))
    with pytest.raises(ValueError, match="each frame must be a dict with a 'step'"):
        page_data([{"real": 1}], t.history, t.evaluations, run_meta(t))


def test_a_default_sized_page_stays_under_two_megabytes(tmp_path):
    """48 frames of 512 + 512 samples on an 80 x 80 lattice and 6,000 steps of history (the
    defaults of tinygan train) make a page under 2 MB (computed: 1.08 MB, as a real default
    run's page)."""
    t, frames = tiny_run(every=12)
    f = dict(frames[-1])
    rng = np.random.default_rng(1)
    f.update(real=rng.normal(size=(512, 2)), fake=rng.normal(size=(512, 2)),
             arrow_index=np.arange(64), arrows=rng.normal(size=(64, 2)),
             grid_x=np.linspace(-2, 2, 80), grid_y=np.linspace(-2, 2, 80),
             d_grid=rng.uniform(size=(80, 80)))
    history = {k: list(rng.normal(size=6000)) for k in t.history}
    history["step"] = list(range(1, 6001))
    evals = [{**t.evaluations[-1], "step": s} for s in range(250, 6001, 250)]
    path = write_run_page([{**f, "step": 125 * (i + 1)} for i in range(48)], history, evals,
                          run_meta(t), tmp_path / "run.html")
    assert Path(path).stat().st_size < 2e6


def test_run_training_writes_the_page_and_a_gif_ending_at_the_last_step(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(run, "N_FRAMES", 8)
    monkeypatch.setattr(run, "GIF_FRAMES", 3)
    summary = run.run_training(Config(**{**TINY, "steps": 8}), tmp_path)
    assert summary["figures"]["page"] == str(tmp_path / "run.html")
    text = (tmp_path / "run.html").read_text()
    blob = re.search(r'id="run-data">(.*?)</script>', text, re.S).group(1)
    assert [f["step"] for f in json.loads(blob)["frames"]] == list(range(1, 9))
    # every third frame, counted back from the last: steps 2, 5, 8
    with Image.open(tmp_path / "training.gif") as gif:
        assert gif.n_frames == 3


def test_the_report_embeds_a_page_whole(tmp_path):
    t, frames = tiny_run()
    p = write_run_page(frames, t.history, t.evaluations, run_meta(t), tmp_path / "ring" / "run.html")
    fragment = run_page_frame(p, "a <run>")
    src = re.search(r'srcdoc="([^"]*)"', fragment).group(1)
    assert html.unescape(src) == Path(p).read_text()
    assert "a &lt;run&gt;" in fragment and "<script" not in fragment
    report = Path(write_report([{"label": "Q9", "name": "nine", "question": "Q?", "answer": "A.",
                                 "pages": [p]}], tmp_path / "report.html")).read_text()
    assert report.count("<iframe srcdoc=") == 1 and "Run Q9.1: ring" in report


# ============================================================================ in a real browser

def find_chromium():
    for name in (os.environ.get("TINYGAN_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome", "google-chrome-stable"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class Chromium:
    """Headless Chromium and its DevTools protocol over a pipe: send(method, **params)."""

    def __init__(self, exe, profile):
        # the pipes' far ends go to the child as fds 3 (commands in) and 4 (replies out);
        # kept at fds >= 10 here, so moving them onto 3 and 4 cannot overwrite one another
        cmd_r, cmd_w = os.pipe()
        out_r, out_w = os.pipe()
        cmd_r2, out_w2 = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cmd_r, out_w))
        os.close(cmd_r), os.close(out_w)
        args = [exe, "--headless", "--remote-debugging-pipe", f"--user-data-dir={profile}",
                "--no-sandbox",   # CI runs as root, where Chromium's sandbox refuses to start
                "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--mute-audio", "about:blank"]
        self.pid = os.posix_spawn(exe, args, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, cmd_r2, 3), (os.POSIX_SPAWN_DUP2, out_w2, 4),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
        os.close(cmd_r2), os.close(out_w2)
        self.write, self.read = cmd_w, out_r
        self.buffer, self.events, self.next_id = b"", [], 0

    def _message(self, timeout):
        end = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.read], [], [], left)[0]:
                raise TimeoutError(f"Chromium sent nothing for {timeout} s")
            chunk = os.read(self.read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe (did it crash?)")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method, session=None, timeout=30, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.write, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._message(timeout)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method, timeout=30):
        """The first event `method` (already received or still to come)."""
        for e in self.events:
            if e.get("method") == method:
                self.events.remove(e)
                return e
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            e = self._message(end - time.monotonic())
            if e.get("method") == method:
                return e
            self.events.append(e)
        raise TimeoutError(f"no {method} within {timeout} s")

    def close(self):
        for fd in (self.write, self.read):
            os.close(fd)
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


class Tab:
    """One page in the browser: open(url), js(expression), key(name), errors()."""

    KEYS = {"ArrowRight": ("ArrowRight", 39), "ArrowLeft": ("ArrowLeft", 37), " ": ("Space", 32),
            "End": ("End", 35), "Home": ("Home", 36)}

    def __init__(self, browser, width=1000, height=900):
        self.b = browser
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        self.s = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            browser.send(f"{domain}.enable", session=self.s)
        browser.send("Emulation.setDeviceMetricsOverride", session=self.s, width=width,
                     height=height, deviceScaleFactor=1, mobile=False)

    def open(self, url):
        self.b.send("Page.navigate", session=self.s, url=url)
        self.b.wait_for("Page.loadEventFired")

    def js(self, expression):
        r = self.b.send("Runtime.evaluate", session=self.s, expression=expression,
                        returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def key(self, name):
        code, vk = self.KEYS[name]
        for kind in ("keyDown", "keyUp"):
            self.b.send("Input.dispatchKeyEvent", session=self.s, type=kind, key=name, code=code,
                        windowsVirtualKeyCode=vk, nativeVirtualKeyCode=vk,
                        text=name if kind == "keyDown" and name == " " else "")

    def events(self, method):
        return [e["params"] for e in self.b.events if e.get("method") == method
                and e.get("sessionId") == self.s]

    def errors(self):
        """Uncaught exceptions, console.error calls and error log entries, as text."""
        out = [e["exceptionDetails"].get("exception", {}).get("description", str(e))
               for e in self.events("Runtime.exceptionThrown")]
        out += [" ".join(str(a.get("value", a.get("description"))) for a in e["args"])
                for e in self.events("Runtime.consoleAPICalled") if e["type"] in ("error", "assert")]
        out += [e["entry"]["text"] for e in self.events("Log.entryAdded")
                if e["entry"]["level"] == "error"]
        return out

    def requests(self):
        return [e["request"]["url"] for e in self.events("Network.requestWillBeSent")]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = find_chromium()
    if exe is None:
        why = ("no Chromium found for the run-page browser tests: install it with "
               "`apt-get install chromium` (Debian, Ubuntu) or set TINYGAN_CHROMIUM to a "
               "Chrome/Chromium executable")
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(why + " (.ci/run installs it; under CI a missing browser is a failure)")
        pytest.skip(why)
    b = Chromium(exe, tmp_path_factory.mktemp("chromium-profile"))
    try:
        b.send("Browser.getVersion", timeout=60)   # the first reply: the browser is up
        yield b
    finally:
        b.close()


def step_of(tab):
    return int(tab.js("document.body.dataset.step"))


def test_the_page_scrubs_and_plays_in_headless_chromium(browser, tmp_path):
    """A real run's page: the slider, the arrow keys and play move the step, and with it
    the picture and the curves' cursor; nothing is loaded from elsewhere; no error."""
    run.run_training(Config(**TINY), tmp_path / "ring")
    url = (tmp_path / "ring" / "run.html").as_uri()
    tab = Tab(browser)
    tab.open(url)
    steps = tab.js("RUN.frames.map((f) => f.step)")
    assert steps == list(range(1, 13))                      # N_FRAMES >= 12: every step
    assert step_of(tab) == 1
    view = "document.getElementById('view').toDataURL()"
    chart = "document.getElementById('chart-losses').toDataURL()"
    before, chart_before = tab.js(view), tab.js(chart)

    tab.key("ArrowRight")                                   # one frame on
    assert step_of(tab) == 2
    after = tab.js(view)
    assert after != before and tab.js(chart) != chart_before

    tab.js("const s = document.getElementById('slider'); s.value = '7';"
           "s.dispatchEvent(new Event('input', {bubbles: true}))")
    assert step_of(tab) == 8 and tab.js(view) not in (before, after)
    assert "step <b>8</b> of 12" in tab.js("document.getElementById('stepLine').innerHTML")
    tab.key("ArrowLeft")
    assert step_of(tab) == 7

    tab.key("Home")
    tab.key(" ")                                            # play: 8 frames a second
    assert "Pause" in tab.js("document.getElementById('play').textContent")
    for _ in range(50):                                     # (a busy machine may be slow)
        if step_of(tab) > 2:
            break
        time.sleep(0.1)
    playing = step_of(tab)
    assert playing > 2
    tab.key(" ")                                            # pause: the step holds
    held = step_of(tab)
    time.sleep(0.4)
    assert step_of(tab) == held >= playing

    assert tab.errors() == []
    assert tab.js("document.getElementById('error').style.display") != "block"
    assert set(tab.requests()) <= {url}                     # nothing but the file itself


def _synthetic_frame(step, upper):
    """A 2-D frame over [-1, 1]^2 with D = `upper` where y > 0 and 1 - `upper` below; all
    samples far outside the view, so nothing but D is drawn at (0, +-0.5)."""
    g = np.linspace(-1, 1, 21)
    d = np.where(g[:, None] > 0, upper, 1.0 - upper) * np.ones((21, 21))
    far = np.full((16, 2), 5.0)
    return {"step": step, "dim": 2, "real": far, "fake": far, "limits": np.array([[-1.0, 1], [-1, 1]]),
            "grid_x": g, "grid_y": g, "d_grid": d, "arrow_index": np.arange(4),
            "arrows": np.ones((4, 2)), "grad_norm": 1.0, "centers": np.zeros((0, 2))}


def test_the_heatmap_puts_d_where_it_is_in_the_figures_colours(browser, tmp_path):
    """The pixel at (0, 0.5) has the colour of D there and the pixel at (0, -0.5) the colour
    of D there (so the picture is not upside down), in D_CMAP's exact colours."""
    meta = {"data": "synthetic", "loss": "nonsaturating", "steps": 2, "dim": 2,
            "uses_sigmoid": True, "threshold": 0.0}
    history = {"step": [1, 2], "d_loss_real": [0.7, 0.6], "d_loss_fake": [0.7, 0.6],
               "g_loss": [0.7, 0.8], "d_real": [0.5, 0.6], "d_fake": [0.5, 0.4]}
    path = write_run_page([_synthetic_frame(1, 1.0), _synthetic_frame(2, 0.0)], history, [],
                          meta, tmp_path / "run.html")
    tab = Tab(browser)
    tab.open(Path(path).as_uri())
    probe = """(() => { const c = document.getElementById('view'), r = devicePixelRatio;
        const [l, t, s] = c.dataset.plot.split(',').map(Number);
        const px = (x, y) => Array.from(c.getContext('2d').getImageData(
            Math.round((l + (x + 1) / 2 * s) * r), Math.round((t + (1 - y) / 2 * s) * r), 1, 1).data.slice(0, 3));
        return [px(0, 0.5), px(0, -0.5)]; })()"""
    table = colour_table()
    assert tab.js(probe) == [table[255], table[0]]          # frame 1: D = 1 above, 0 below
    tab.key("End")
    assert tab.js(probe) == [table[0], table[255]]          # frame 2: the other way round
    assert tab.errors() == []


@pytest.mark.parametrize("data, kw", [("ring", {}), ("mixture1d", {}), ("digits", {"g_output": "tanh"})])
def test_pages_of_each_kind_draw_at_a_phone_width(browser, tmp_path, data, kw):
    t, frames = tiny_run(data, every=4, **kw)
    path = write_run_page(frames, t.history, t.evaluations, run_meta(t), tmp_path / "run.html")
    tab = Tab(browser, width=390, height=844)                # a phone's width
    tab.open(Path(path).as_uri())
    before = tab.js("document.getElementById('view').toDataURL()")
    tab.key("End")
    assert step_of(tab) == 12 and tab.js("document.getElementById('view').toDataURL()") != before
    # nothing wider than the screen
    assert tab.js("document.documentElement.scrollWidth") <= 390
    assert tab.errors() == []


def test_the_page_inside_the_report_runs(browser, tmp_path):
    t, frames = tiny_run()
    p = write_run_page(frames, t.history, t.evaluations, run_meta(t), tmp_path / "ring" / "run.html")
    report = write_report([{"label": "Q9", "name": "nine", "question": "Q?", "answer": "A.",
                            "pages": [p]}], tmp_path / "report.html")
    tab = Tab(browser)
    tab.open(Path(report).as_uri())
    inner = "document.querySelector('iframe').contentDocument"
    for _ in range(50):                                     # the frame loads after the report
        if tab.js(f"{inner} && {inner}.body && {inner}.body.dataset.step") == "2":
            break
        time.sleep(0.1)
    assert tab.js(f"{inner}.body.dataset.step") == "2"
    assert tab.js(f"{inner}.getElementById('view').height") > 100
    assert tab.errors() == []
