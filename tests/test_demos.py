"""The six demos and the tour, end to end in quick mode, from the installed package.

One fixture runs the tour (tinygan.questions.tour) in quick mode: every demo's run(quick=True)
once, and the HTML report. The tests then check what every demo promises (its result's
shape, two kinds of check counted apart, a caption for every figure, a table with the
paper's column) and the few outcomes that hold even in the quick runs. Quick mode is for
speed, not evidence: most claims are meant for the full runs and are not asserted here.
"""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygan.app.cli import build_parser
from tinygan.questions import NAMES, TOUR, common
from tinygan.questions.tour import run_tour

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour")
    messages = []
    path, sections, _ = run_tour(quick=True, out=out, log=messages.append)
    return {"path": Path(path), "sections": {s["name"]: s for s in sections}, "messages": messages}


@pytest.mark.parametrize("name", NAMES)
def test_each_demo_keeps_its_promises(tour, name):
    r = tour["sections"][name]
    assert not r.get("missing"), tour["messages"]
    assert r["question"].endswith("?") and len(r["answer"]) > 400 and len(r["finding"]) > 80
    assert r["figures"] and len(r["captions"]) == len(r["figures"])
    for fig, cap in zip(r["figures"], r["captions"]):
        assert Path(fig).is_file() and fig.endswith(".png") and len(cap) > 60   # says what to look at
    for row in r["table"]:
        assert set(row) <= set(common.COLUMNS) and "quantity" in row
    assert any(row.get("paper") or row.get("expected") for row in r["table"])
    kinds = {i["kind"] for i in r["checks"]}
    assert "claim" in kinds and kinds <= {"claim", "self-check"}
    for i in r["checks"]:
        assert i["held"] in (True, False, None) and i["says"] and i["measured"]
        if i["kind"] == "claim":                       # every claim carries its threshold's reason
            assert len(i["reason"]) > 30
    assert r["seeds"] == [0]


def test_every_declared_claim_is_reported(tour):
    from tinygan.questions import load
    for name in NAMES:
        reported = {i["name"] for i in tour["sections"][name]["checks"] if i["kind"] == "claim"}
        assert reported == set(load(name).CLAIMS), name


def test_full_mode_uses_three_seeds_or_more():
    from tinygan.questions import load
    for name in NAMES:
        assert len(load(name).SEEDS) >= 3, name


def test_the_closed_forms_pass_their_self_checks(tour):
    failed = [(n, i["name"]) for n, s in tour["sections"].items() for i in s["checks"]
              if i["kind"] == "self-check" and not i["held"]]
    assert not failed


def test_quick_outcomes_that_do_not_need_the_full_budget(tour):
    """Measured on the quick runs (seed 0): these hold by a wide margin even there."""
    c = {n: {i["name"]: i["held"] for i in s["checks"]} for n, s in tour["sections"].items()}
    # Q1: 600 D steps against the disjoint G: loss 9e-4, minimax gradient down 2.2 orders
    assert c["perfect_discriminator"]["d_separates_disjoint"]
    assert c["perfect_discriminator"]["minimax_vanishes_disjoint"]
    assert c["perfect_discriminator"]["noise_keeps_gradient"]
    # Q2: D reads log 2 at every theta != 0 (0.684-0.691), the critic points home
    assert c["js_vs_wasserstein"]["js_estimate_near_log2"] and c["js_vs_wasserstein"]["critic_gradient_points_home"]
    assert c["js_vs_wasserstein"]["minimax_stalls_far"]
    # Q4: the Dirac-GAN table is deterministic and the same in quick mode
    assert all(c["nash_equilibrium"][f"dirac_{m}"] for m in ("gan", "nsgan", "wgan", "wgan_gp", "r1",
                                                             "instance_noise", "consensus"))
    assert c["nash_equilibrium"]["real_plain_circles"] and c["nash_equilibrium"]["real_r1_converges"]
    # Q6: D against noise: 0 modes and 9x the standard GAN's distance after 200 steps
    assert c["why_d_sees_g"]["blind_noise_fewer_modes"] and c["why_d_sees_g"]["blind_far_from_data"]


def test_mode_collapse_reads_the_shipped_benchmark(tour, tmp_path):
    from tinygan.questions import mode_collapse as q3
    # the package carries the benchmark's tables; in a clone they are the results files' copies
    for name in ("modes.md", "modes_paper.md"):
        shipped = q3.BENCH_DIR / name
        assert shipped.is_file(), shipped
        source = ROOT / "benchmarks" / "results" / name
        if source.exists():
            assert shipped.read_text(encoding="utf-8") == source.read_text(encoding="utf-8"), \
                f"copy benchmarks/results/{name} to tinygan/questions/benchmark/ after rerunning the benchmark"
    # every remedy and the default recipe has a stored row on both data sets
    for key in q3.REMEDIES:
        assert set(q3.stored_result(key)) == {"ring", "grid"}, key
    # the paper-budget table first, the fast table where it has no number
    assert q3.stored_result("wgan_gp")["ring"][2] == "paper budget"
    assert q3.stored_result("packing")["ring"][2] == "fast budget"       # PacGAN4 has no paper-budget ring row
    # a row is found by its label and its cells are read as numbers; missing files give nothing
    fake = tmp_path / "modes.md"
    fake.write_text("# x\n\n| configuration | ring modes (of 8) | ring HQ % | grid modes (of 25) | grid HQ % |\n"
                    "|---|---|---|---|---|\n| **WGAN-GP** | 6.9 ± 0.3 | 60.1 ± 2 | 24.5 ± 0.5 | 30 ± 1 |\n"
                    "|   published: WGAN-GP | 6.8 | 59.6 | 24.2 | 28.7 |\n")
    assert list(q3.read_benchmark(fake)) == ["WGAN-GP"]
    assert q3.stored_result("wgan_gp", tmp_path / "none.md", fake) == {"ring": (6.9, 60.1, "fast budget"),
                                                                        "grid": (24.5, 30.0, "fast budget")}
    assert q3.read_benchmark(tmp_path / "missing.md") == {}
    # the quick run shows the stored rows and the published ones beside its own, none "not measured"
    r = tour["sections"]["mode_collapse"]
    assert sum("stored benchmark" in row["quantity"] for row in r["table"]) == 2 * len(q3.REMEDIES)
    assert any("PacGAN4" in row["quantity"] and "PacGAN, Table 1" in row.get("paper", "") for row in r["table"])
    assert any("400,000" in row.get("paper", "") for row in r["table"])
    assert not common.tally(r["checks"])["unmeasured"]


def test_mode_collapse_quick_claims_are_not_evaluated_never_failed(tour):
    from tinygan.questions import mode_collapse as q3
    r = tour["sections"]["mode_collapse"]
    claims = [i for i in r["checks"] if i["kind"] == "claim"]
    assert {i["name"] for i in claims} == set(q3.CLAIMS)
    assert all(i["held"] is None and i["state"] == common.QUICK_STATE for i in claims)
    t = common.tally(r["checks"])
    assert t["claims"] == 0 and not t["failed"] and len(t["quick"]) == len(q3.CLAIMS)
    html = tour["path"].read_text(encoding="utf-8")
    assert "not evaluated at quick size" in html
    assert "not evaluated at quick size" in common.checks_text(r["checks"])
    # one base, one knob per row: each remedy's Config differs from the base's in its knob
    # and the step count only; the default recipe is Config() itself at its own step count
    from tinygan.config import Config
    base = q3.config_for("base", "ring", 0).to_dict()
    for key, _, knob, _ in q3.ROWS[1:-1]:
        c = q3.config_for(key, "ring", 0).to_dict()
        changed = {k for k in c if c[k] != base[k]} - {"steps", "eval_every"}
        assert changed == set(knob), (key, changed)
    d = q3.config_for("default", "ring", 0)
    assert {k: v for k, v in d.to_dict().items() if k not in ("steps", "eval_every", "noise_anneal_steps",
                                                             "eval_samples")} == \
        {k: v for k, v in Config().to_dict().items() if k not in ("steps", "eval_every", "noise_anneal_steps",
                                                                  "eval_samples")}


def test_mode_collapse_rows_cost_the_same_cpu_and_evaluate_evenly():
    from tinygan.questions import mode_collapse as q3
    ms = {k: v for k, _, _, v in q3.ROWS}
    for key in ms:
        steps, every = q3.steps_for(key)
        assert steps == every * q3.N_EVALS
        # the base's CPU budget, up to rounding the interval between evaluations to whole steps
        assert abs(steps * ms[key] - q3.BUDGET * ms["base"]) <= 0.5 * q3.N_EVALS * ms[key] + 1e-9, key
    assert q3.steps_for("wgan_gp")[0] < q3.steps_for("base")[0] < q3.steps_for("packing")[0]


def test_mode_collapse_hopping_beats_its_frozen_null():
    from tinygan.questions import mode_collapse as q3
    # a settled histogram: the statistic is 0; the frozen null is sampling noise, small
    same = [{"counts": [300] * 8} for _ in range(6)]
    assert q3.hopping(same) == 0.0
    null = q3.frozen_hopping([300] * 8, seed=0)
    assert 0 < null < 0.05       # sqrt(K / n)-sized: about 0.03 for 8 modes and 2,400 samples
    # all the mass moving to another mode at every evaluation: TV 1
    moving = [{"counts": np.eye(8, dtype=int)[i % 8] * 2500} for i in range(6)]
    assert q3.hopping(moving) == 1.0 and q3.hopping(moving, start=0.0) == 1.0
    # only the second half counts: a first half that moves and a second half that sits still
    first = [{"counts": np.eye(8, dtype=int)[i] * 2500} for i in range(4)] + [{"counts": [0, 0, 0, 2500, 0, 0, 0, 0]}] * 4
    assert q3.hopping(first) == 0.0 and q3.hopping(first, start=0.0) > 0.3


def test_the_tour_reports_what_failed(tour):
    html = tour["path"].read_text(encoding="utf-8")
    for label, name in TOUR:
        assert f'id="{label.lower()}"' in html
    n_figures = sum(len(s["figures"]) for s in tour["sections"].values())
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == n_figures
    assert not re.search(r'(src|href)="(https?:)?//', html)               # nothing from elsewhere
    failed = [i["name"] for s in tour["sections"].values() for i in s["checks"]
              if i["kind"] == "claim" and i["held"] is False]
    assert failed and all(name in html for name in failed)            # quick mode fails some
    assert "self-checks passed" in html
    assert any("claims" in m and "self-checks" in m for m in tour["messages"])


def test_a_claim_not_evaluated_at_quick_size_is_counted_apart():
    checks = common.Checks({"a": common.Claim("a holds", "because"), "b": common.Claim("b holds", "because")})
    checks.claim("a", False, "1")
    checks.not_at_quick_size("b", "needs 1,500 steps")
    t = common.tally(checks.result())
    assert t["claims"] == 1 and len(t["failed"]) == 1 and not t["unmeasured"]
    assert [i["name"] for i in t["quick"]] == ["b"] and checks.held("b") is None
    with pytest.raises(ValueError, match="twice"):
        checks.not_at_quick_size("b", "again")


def test_checks_count_claims_and_self_checks_apart():
    checks = common.Checks({"a": common.Claim("a holds", "because"), "b": common.Claim("b holds", "because")})
    checks.claim("a", True, "1")
    checks.self_check("s", True, "closed form", "0")
    with pytest.raises(ValueError, match="never evaluated"):
        checks.result()
    checks.claim("b", np.bool_(False), "2")
    with pytest.raises(ValueError, match="twice"):
        checks.claim("b", True, "2")
    with pytest.raises(KeyError):
        checks.claim("c", True, "3")
    t = common.tally(checks.result())
    assert (t["held"], t["claims"], t["passed"], t["self_checks"]) == (1, 2, 1, 1)
    assert [i["name"] for i in t["failed"]] == ["b"]
    assert common.over_seeds([1.0, 2.0, 3.0]) == "2.00 ± 0.82 (3 seeds)"
    assert common.over_seeds([0.5], "{:.1f}", " %") == "0.5 % (1 seed)"


def _square(x):
    return x * x


def test_pmap_runs_in_processes_and_keeps_the_order():
    assert common.pmap(_square, [(k,) for k in range(5)], jobs=2) == [0, 1, 4, 9, 16]
    assert common.pmap(_square, [(3,)], jobs=1) == [9]


def _nap(seconds):
    import time
    time.sleep(seconds)
    return seconds


def test_imap_hands_each_result_back_as_soon_as_it_is_done():
    """The tour's lines and the sweep's store follow the runs as they finish, not all at the end:
    a task of 0 s comes back before one of 3 s given first (both workers start together)."""
    assert [i for i, _ in common.imap(_nap, [(3.0,), (0.0,)], jobs=2)] == [1, 0]


def test_the_command_line_knows_tour_and_demo():
    parser = build_parser()
    args = parser.parse_args(["tour", "--quick", "--out", "x"])
    assert args.quick and args.out == "x" and args.func.__name__ == "_cmd_tour"
    args = parser.parse_args(["demo", "nash_equilibrium"])
    assert args.name == "nash_equilibrium" and not args.quick
    from tinygan.app.cli import main
    assert main(["demo", "bogus"]) == 2


def test_every_question_runs_as_a_module(tmp_path):
    """python -m tinygan.questions.NAME is the same command as tinygan demo NAME."""
    for name in (*NAMES, "tour"):
        r = subprocess.run([sys.executable, "-m", f"tinygan.questions.{name}", "--help"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0 and "--quick" in r.stdout, (name, r.stderr)


def test_blind_trainer_variants():
    from tinygan.config import Config
    from tinygan.questions.blind import BlindTrainer

    cfg = Config(steps=4, batch_size=16, g_hidden=(8,), d_hidden=(8,), eval_every=0)
    frozen = BlindTrainer(cfg, negatives="frozen", pretrain=3)
    before = {k: v.copy() for k, v in frozen.D.params.items()}
    frozen.train()
    assert all(np.array_equal(before[k], frozen.D.params[k]) for k in before)   # never updated
    blend = BlindTrainer(cfg, negatives="blend")
    assert blend.blend_t() == 0.0
    blend.train()
    assert blend.blend_t() == 1.0                                  # ramped to the data
    wide = BlindTrainer(cfg, negatives="noise", noise_scale=4.0)
    assert np.allclose(wide.noise_std, 4.0 * BlindTrainer(cfg, negatives="noise").noise_std)
    with pytest.raises(ValueError, match="allowed"):
        BlindTrainer(cfg, negatives="bogus")
