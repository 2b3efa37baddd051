"""The demos of Q3, Q5, Q6 and the tour, end to end in quick mode.

One fixture runs the tour (demos/tour.py) in quick mode: it imports every demo in
demos/ by file and calls run(quick=True, out=...). The tests then check the HTML report
and each of our demos' key claims on those results, so every demo runs once.

Margins are set from measured quick runs (seed 0, 150-300 steps):
  Q6 (classic recipe, 200 steps): standard GAN 4 of 8 ring modes, sliced W 0.64; noise /
      blend / frozen D: 0 modes, sliced W 8.9 / 6.7 / 5.4 (8x to 14x the standard GAN's).
  Q5: healthy run's D terms 0.668 / 0.659 (log 2 = 0.693), D accuracy 72 %; rank
      correlation of d_loss_fake and g_loss -0.48 (healthy) / -0.54 (collapsing). Who wins
      (D accuracy, modes) is only decided later in the run, so quick mode does not test it.
  Q3: plain GAN 3 of 8 ring modes, 16 of 25 grid modes after 150 steps.
"""

import importlib.util
import math
import re
from pathlib import Path

import pytest

DEMOS = Path(__file__).resolve().parent.parent / "demos"
OURS = ("mode_collapse", "loss_curves", "why_d_sees_g")


def _load(name):
    spec = importlib.util.spec_from_file_location(f"test_demo_{name}", DEMOS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour")
    messages = []
    path, sections, _ = _load("tour").run_tour(quick=True, out=out, log=messages.append)
    return {"path": Path(path), "sections": {s["name"]: s for s in sections},
            "messages": messages, "out": out}


def _contract(result):
    assert set(result) >= {"question", "answer", "figures", "table", "claims"}
    assert result["question"].endswith("?") and len(result["answer"]) > 300
    assert result["figures"] and all(Path(f).is_file() and f.endswith(".png") for f in result["figures"])
    for row in result["table"]:
        assert set(row) == {"quantity", "paper", "tinygan", "difference"}
    assert all(isinstance(v, bool) for v in result["claims"].values())


def test_tour_writes_a_self_contained_report(tour):
    html = tour["path"].read_text(encoding="utf-8")
    assert tour["path"].name == "report.html"
    ran = [name for name, s in tour["sections"].items() if not s.get("missing")]
    assert set(OURS) <= set(ran)
    for label, name in _load("tour").TOUR:
        assert f'id="{label.lower()}"' in html                      # a section per question
        assert (DEMOS / f"{name}.py").exists() == (name in ran)    # missing ones are skipped
    n_figures = sum(len(tour["sections"][n]["figures"]) for n in ran)
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == n_figures
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<script" not in html
    assert any("running" in m for m in tour["messages"])


def test_mode_collapse_quick(tour):
    r = tour["sections"]["mode_collapse"]
    _contract(r)
    assert r["claims"]["plain_misses_modes"]
    ring, grid = r["stats"]["classic/ring"], r["stats"]["classic/grid"]
    assert ring["modes"] <= 6 and grid["modes"] <= 22            # measured 3 and 16
    assert any("ring" in row["quantity"] and "modes" in row["quantity"] for row in r["table"])


def test_loss_curves_quick(tour):
    r = tour["sections"]["loss_curves"]
    _contract(r)
    s, c = r["stats"]["healthy"], r["stats"]["collapsing"]
    assert r["claims"]["jensen_holds"]                             # exact: same batch, Jensen
    assert s["corr"] < -0.25 and c["corr"] < -0.25                 # measured -0.48, -0.54
    assert abs(s["d_real_loss"] - math.log(2)) < 0.15              # measured 0.668
    assert abs(s["d_fake_loss"] - math.log(2)) < 0.15              # measured 0.659
    assert 0.5 <= s["acc"] <= 0.85                                 # measured 0.72


def test_why_d_sees_g_quick(tour):
    r = tour["sections"]["why_d_sees_g"]
    _contract(r)
    st = r["stats"]
    std = st["standard"]
    for v in ("noise", "blend", "frozen"):
        assert st[v]["modes"] <= min(1, std["modes"] - 2), v       # measured 0 vs 4
        assert st[v]["sw"] >= 4 * std["sw"], v                     # measured >= 8x


def test_blind_trainer_variants():
    import numpy as np

    from tinygan.lab.blind import BlindTrainer
    from tinygan.config import Config

    cfg = Config(steps=4, batch_size=16, g_hidden=(8,), d_hidden=(8,), eval_every=0)
    frozen = BlindTrainer(cfg, negatives="frozen", pretrain=3)
    before = {k: v.copy() for k, v in frozen.D.params.items()}
    frozen.train()
    assert all(np.array_equal(before[k], frozen.D.params[k]) for k in before)   # never updated
    blend = BlindTrainer(cfg, negatives="blend")
    assert blend.blend_t() == 0.0
    blend.train()
    assert blend.blend_t() == 1.0                                  # ramped to the data
    with pytest.raises(ValueError, match="allowed"):
        BlindTrainer(cfg, negatives="bogus")
