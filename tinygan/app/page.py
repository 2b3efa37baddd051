"""run.html: one training run to scrub through in a browser, in the spirit of GAN Lab.

    frame(trainer)                                  the run at its current step, worth showing
    run_meta(trainer)                               what the page says about the run
    page_data(frames, history, evaluations, meta)   everything the page draws, JSON-ready
    render_run_page(frames, history, evaluations, meta)       the page, as a string
    write_run_page(frames, history, evaluations, meta, path)  ... written to a file

A slider and a play button move through the frames; at each one the page shows D's output
as a heatmap, the real and generated samples and G's gradient arrows (2-D data), D's curve
over the two histograms (1-D data) or a grid of generated images (image data), beside the
loss and mode curves with a cursor at the same step. The page is one file that needs
nothing else, not even a network: the template run_page.html (CSS and plain JavaScript)
with the run's data inlined as JSON.

How the arrays travel (base64 of their little-endian bytes, decoded with typed arrays):
    2-D D lattice   uint8, the index into the 256 colours of plots.snapshots.D_CMAP that the
                    PNG gives each point (so the page and the figures show the same colours)
    1-D D curve     float32
    samples, arrows float32 (n, dim), row-major
    images          uint8, pixel p in [-1, 1] stored as round(127.5 (p + 1))
The per-step history is averaged over at most HISTORY_POINTS equal bins of steps. At the
defaults of `tinygan train` (48 frames, an 80 x 80 lattice, 512 samples a side, 6,000 steps)
a run's page is about 1.1 MB, and a frame costs about 20-25 ms to take.
"""

import base64
import json
import math
from importlib import resources
from pathlib import Path

import numpy as np

from tinygan.questions.landscape import snapshot
from tinygan.plots.snapshots import ARROW, D_CMAP
from tinygan.plots.style import CYCLE, FAKE, NEUTRAL, REAL

__all__ = ["frame", "run_meta", "page_data", "render_run_page", "write_run_page"]

HISTORY_POINTS = 1000   # per-step curves are averaged down to at most this many points
IMAGES = 16             # generated images per frame for image data (a 4 x 4 grid)
CURVES = ("d_loss_real", "d_loss_fake", "g_loss", "d_real", "d_fake")
EVAL_KEYS = ("modes", "n_modes", "high_quality", "sliced_w", "w1")
META_KEYS = ("data", "loss", "steps", "dim", "uses_sigmoid", "threshold")


# ============================================================================ from a trainer

def frame(trainer, n=512, grid=80):
    """The run at its current step, as plain arrays: what one position of the slider shows.

    1-D and 2-D data: tinygan.questions.landscape.snapshot(trainer, n, grid) (D on a grid-point
    lattice, n real and n generated samples, G's gradient arrows). Image data: {"step",
    "dim", "images"} with IMAGES generated images (IMAGES, dim). Random draws come from an rng
    seeded by (seed, step, 3), never from the training stream.
    """
    rng = np.random.default_rng([trainer.config.seed, trainer.step, 3])
    if trainer.data.dim in (1, 2):
        return snapshot(trainer, n=n, grid=grid, rng=rng)
    return {"step": int(trainer.step), "dim": int(trainer.data.dim),
            "images": trainer.sample(IMAGES, rng)}


def run_meta(trainer):
    """The facts about a run the page prints and draws by: a dict of META_KEYS and seed."""
    return {"data": trainer.data.name, "loss": trainer.config.loss,
            "steps": int(trainer.config.steps), "seed": int(trainer.config.seed),
            "dim": int(trainer.data.dim), "uses_sigmoid": bool(trainer.loss.uses_sigmoid),
            "threshold": float(trainer.loss.threshold)}


# ============================================================================ encoding

def _b64(array, dtype):
    """The bytes of `array` as `dtype` (little-endian, C order), base64 text."""
    a = np.ascontiguousarray(np.asarray(array), dtype=np.dtype(dtype).newbyteorder("<"))
    return base64.b64encode(a.tobytes()).decode("ascii")


def _num(v, digits=4):
    """A float rounded to `digits` significant digits for JSON; None if it is not finite."""
    v = float(v)
    return float(f"{v:.{digits}g}") if math.isfinite(v) else None


def colour_table(cmap=D_CMAP):
    """The colormap as 256 (r, g, b) byte triples: entry q is the colour of index q."""
    rgb = cmap(np.arange(256))[:, :3]
    return [[int(c) for c in row] for row in np.round(255 * rgb)]


def colour_index(d, uses_sigmoid, threshold):
    """D's output on the lattice (grid, grid) as colour indices 0..255, and the scale used.

    The normalisation is the PNG's (plots.snapshots): D(x) in [0, 1] for a sigmoid D; else
    [mid - m, mid + m] around the threshold mid, with m = max |d - mid| (1 if d == mid).
    Index = floor(256 t) clipped to 255 for t = (d - low) / (high - low), as a matplotlib
    colormap looks up a float. Returns (uint8 (grid, grid), (low, high)).
    """
    d = np.asarray(d, dtype=np.float64)
    if uses_sigmoid:
        low, high = 0.0, 1.0
    else:
        m = float(np.nanmax(np.abs(d - threshold))) if np.isfinite(d).any() else 1.0
        m = m if m > 0 and math.isfinite(m) else 1.0
        low, high = threshold - m, threshold + m
    t = np.nan_to_num((d - low) / (high - low), nan=0.5)
    return np.clip(np.floor(256 * t), 0, 255).astype(np.uint8), (low, high)


def _frame_data(f, meta):
    """One frame as JSON-ready values (see the module docstring for the encodings)."""
    dim = int(f.get("dim", meta["dim"]))
    out = {"step": int(f["step"])}
    if "images" in f:
        x = np.asarray(f["images"], dtype=np.float64)
        out["images"] = _b64(np.clip(np.round(127.5 * (np.nan_to_num(x) + 1)), 0, 255), np.uint8)
        out["count"] = len(x)
        return out
    if "d_grid" not in f:
        return out                     # a step without pictures (the page says so)
    n, m = len(f["fake"]), len(f["arrow_index"])
    out.update(real=_b64(f["real"], np.float32), fake=_b64(f["fake"], np.float32),
               n_real=len(f["real"]), n_fake=n,
               arrow_index=_b64(f["arrow_index"], np.int32), arrows=_b64(f["arrows"], np.float32),
               n_arrows=m, grad_norm=_num(f.get("grad_norm", float("nan"))),
               grid_x=[_num(f["grid_x"][0], 8), _num(f["grid_x"][-1], 8), len(f["grid_x"])])
    if dim == 2:
        q, (low, high) = colour_index(f["d_grid"], meta["uses_sigmoid"], meta["threshold"])
        out.update(d=_b64(q, np.uint8), scale=[_num(low), _num(high)],
                   grid_y=[_num(f["grid_y"][0], 8), _num(f["grid_y"][-1], 8), len(f["grid_y"])])
    else:
        out["d"] = _b64(np.nan_to_num(f["d_grid"], nan=0.0, posinf=0.0, neginf=0.0), np.float32)
    return out


def _binned(history):
    """The per-step history averaged over at most HISTORY_POINTS equal bins of steps."""
    steps = np.asarray(history.get("step", []), dtype=np.float64)
    n = len(steps)
    if n == 0:
        return {"step": []}
    edges = np.unique(np.linspace(0, n, min(n, HISTORY_POINTS) + 1).round().astype(int))
    counts = np.diff(edges)

    def mean(values):
        v = np.asarray(values, dtype=np.float64)
        return np.add.reduceat(v, edges[:-1]) / counts

    out = {"step": [_num(s, 8) for s in mean(steps)]}
    for key in CURVES:
        if key in history and len(history[key]) == n:
            out[key] = [_num(v) for v in mean(history[key])]
    return out


def _check(frames, history, evaluations, meta):
    if not isinstance(meta, dict) or any(k not in meta for k in META_KEYS):
        missing = [k for k in META_KEYS if not isinstance(meta, dict) or k not in meta]
        raise ValueError(f"meta lacks {', '.join(missing)}; make it with run_meta(trainer)")
    if not isinstance(history, dict) or "step" not in history:
        raise ValueError("history must be a Trainer's history: a dict of lists with a 'step' key")
    for f in frames:
        if not isinstance(f, dict) or "step" not in f:
            raise ValueError("each frame must be a dict with a 'step', made by frame(trainer) "
                             "or tinygan.questions.landscape.snapshot(trainer)")
    if any(not isinstance(e, dict) for e in evaluations):
        raise ValueError("evaluations must be a list of dicts (Trainer.evaluations)")


def page_data(frames, history, evaluations=(), meta=None):
    """Everything the page draws, as one JSON-ready dict.

    frames: list of frame(trainer) dicts in step order (snapshots of 1-D or 2-D data, or
    image frames); history: Trainer.history; evaluations: Trainer.evaluations; meta:
    run_meta(trainer). Keys: meta, colours (the figures' palette), cmap (256 RGB triples of
    D_CMAP), limits (the union of the frames' view limits), centres, frames, history
    (binned), evals (the metrics the page shows, by step).
    """
    frames, evaluations = list(frames), list(evaluations or ())
    _check(frames, history, evaluations, meta)
    meta = dict(meta)
    meta["uses_sigmoid"] = bool(meta["uses_sigmoid"])
    meta["threshold"] = float(meta["threshold"])
    if any("images" in f for f in frames):
        size = int(round(math.sqrt(meta["dim"])))
        meta["image_size"] = size if size * size == meta["dim"] else None
    drawn = [f for f in frames if "limits" in f]
    limits = centres = None
    if drawn:
        lim = np.stack([np.asarray(f["limits"], dtype=np.float64) for f in drawn])
        limits = [[_num(lo, 8), _num(hi, 8)] for lo, hi in
                  zip(lim[:, :, 0].min(axis=0), lim[:, :, 1].max(axis=0))]
        centres = [[_num(v, 8) for v in c] for c in np.asarray(drawn[-1]["centers"]).reshape(-1, len(limits))]
    evals = [{"step": int(e["step"]), **{k: _num(e[k]) for k in EVAL_KEYS if k in e}}
             for e in evaluations if "step" in e]
    return {
        "meta": meta,
        "colours": {"real": REAL, "fake": FAKE, "neutral": NEUTRAL, "arrow": ARROW,
                    "g": CYCLE[2], "quality": CYCLE[3], "distance": CYCLE[4]},
        "cmap": colour_table(),
        "limits": limits, "centres": centres,
        "frames": [_frame_data(f, meta) for f in frames],
        "history": _binned(history),
        "evals": evals,
    }


# ============================================================================ the page

def _template():
    return resources.files("tinygan.app").joinpath("run_page.html").read_text(encoding="utf-8")


def _title(meta):
    return f"tinygan run: {meta['data']} data, {meta['loss']} loss"


def render_run_page(frames, history, evaluations=(), meta=None):
    """The whole page as a string: run_page.html with page_data(...) inlined as JSON.

    Every "<" in the JSON is written as the escape \\u003c, so no string in the data can end
    the <script> element that holds it.
    """
    data = page_data(frames, history, evaluations, meta)
    text = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    title = _title(data["meta"]).replace("&", "&amp;").replace("<", "&lt;")
    return _template().replace("__TITLE__", title).replace("__DATA__", text)


def write_run_page(frames, history, evaluations, meta, path):
    """render_run_page(...) written to `path` (folders created); returns the path as a string."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_run_page(frames, history, evaluations, meta), encoding="utf-8")
    return str(path)
