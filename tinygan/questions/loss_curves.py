"""Q5: how to read D and G loss curves: a healthy run, a collapsing one, and one that only looks healthy.

Three runs on the ring of 8, three seeds each, drawn in the textbook layout (D's loss on real
and on fake, G's loss, D's accuracy) above what the curves are meant to reveal and do not
show by themselves: modes captured, the share of high-quality samples, the distance to the data.
  * healthy: tinygan's default recipe at its own budget (6,000 steps);
  * collapsing: the plain GAN with small batches and a larger step;
  * flat curves, poor samples: the plain GAN with an R1 penalty of weight 1, whose curves sit
    at log 2 while its samples stay a blur.
Then WGAN's claim that a critic's loss tracks sample quality (Arjovsky et al. 2017, Fig. 3),
where tinygan can test it: a WGAN-GP and a GAN started 3 units from WGAN's parallel lines,
the loss beside the distance to the data, three seeds.

    tinygan demo loss_curves [--quick]      (or python -m tinygan.questions.loss_curves)
"""

import dataclasses
import math
from pathlib import Path

import numpy as np

from tinygan.config import presets
from tinygan.questions.common import Checks, Claim, demo_main, over_seeds, pmap, row
from tinygan.questions import parallel_lines
from tinygan.questions.sweep import at_budget, train_runs
from tinygan.plots import compare

# ---- settings ---------------------------------------------------------------------------
OUT = "runs/demos/loss_curves"
DATA = "ring"
SEEDS = (0, 1, 2)
RUNS = {   # label -> (preset, changes, steps); the healthy run is the default recipe at 6,000 of its 14,000 steps
    "healthy": ("best", {}, 6000),
    "collapsing": ("classic", {"batch_size": 32, "g_lr": 2e-3, "d_lr": 2e-3}, 2000),
    "flat curves, poor samples": ("classic", {"r1": 1.0}, 2000),
}
EVAL_EVERY = 200
# the critic experiment: WGAN's parallel lines, the generator 3 units away (as in Q2)
FAR = dict(data="parallel_lines", standardize=False, ema=0.0, lr_schedule="constant", z_dim=1, g_hidden=(32, 32), d_hidden=(64, 64), batch_size=64,
           d_steps=5, g_lr=1e-3, d_lr=1e-3, eval_every=0, dtype="float64")
FAR_RUNS = {"WGAN-GP critic": "wgan-gp", "GAN (non-saturating)": "classic"}
FAR_STEPS, FAR_START, WARMUP = 400, (3.0, 0.5), 20
QUICK = dict(seeds=(0,), steps={"healthy": 300, "collapsing": 300, "flat curves, poor samples": 300},
             eval_every=50, far_steps=120)
LOG2 = math.log(2.0)

QUESTION = ("How should I read the D and G loss curves? What does a healthy run look like, "
            "and what does mode collapse look like?")

# ---- the claims, fixed before the run ----------------------------------------------------
CLAIMS = {
    "healthy_is_healthy": Claim(
        "the default recipe ends with at least 7 of 8 modes and at least 50 % high-quality samples, on every seed",
        "'healthy' must mean good samples, not good-looking curves: most samples within 3 std of a "
        "mode and at most one mode missed (the benchmark, 10 seeds at the recipe's full 14,000 steps: "
        "8.0 +- 0.0 modes, 98.4 +- 0.2 %; this demo stops it at 6,000)."),
    "healthy_d_near_log2": Claim(
        "in the healthy run D's two loss terms average within 0.2 of log 2 over the last quarter, on every seed",
        "at the equilibrium D(x) = 1/2 everywhere, and each term is log 2 (Goodfellow et al. Prop. 1)."),
    "collapsing_d_wins": Claim(
        "in the collapsing run D's accuracy (last quarter) exceeds the healthy run's by 10 points, and "
        "it captures fewer modes, on average over seeds",
        "a generator piling onto a few spots is easy to reject: D wins."),
    "flat_but_poor": Claim(
        "the R1 run's curves look healthy (D's terms within 0.15 of log 2, accuracy 40-85 %) while "
        "under 10 % of its samples are of high quality, on every seed",
        "the lesson that flat curves say nothing about sample quality; 10 % is far below the healthy "
        "run's 50 %."),
    "critic_tracks_distance": Claim(
        f"WGAN-GP from 3 units away: after its first {WARMUP} steps, its critic's estimate "
        "E f(real) - E f(fake) has rank correlation at least 0.8 with the distance to the data, on every seed",
        "Arjovsky et al. 2017, Fig. 3: the critic's loss falls as the samples improve; here W1 is the "
        "distance, and a penalised critic estimates it. The first steps are left out: the critic "
        "starts untrained."),
    "gan_loss_does_not_track": Claim(
        f"the GAN from 3 units away: after its first {WARMUP} steps, D's loss has rank correlation "
        "with the distance between -0.5 and 0.5, on every seed",
        "Arjovsky et al. 2017, Fig. 4: a GAN's loss does not follow sample quality; |0.5| is weak "
        "at best (a pilot on seeds 100-102 gave -0.33 to -0.39, measured without the warm-up cut)."),
    "two_views": Claim(
        "d_loss_fake and g_loss, two functions of D(G(z)), move in opposite directions over the "
        "steps (negative rank correlation), in every run",
        "-log(1 - D) rises and -log D falls as D(G(z)) rises, so wherever D's mean output on G's "
        "samples moves, the two curves mirror each other, and the textbook layout reads them so. "
        "This is not an identity (the two are taken on different batches, and the spread of D "
        "over a batch moves both the same way), so it is a claim about the runs, not a self-check."),
}


# ============================================================ summaries

def _spearman(a, b):
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def _summary(result):
    """Means over the last quarter of the run, the final metrics, and the two-views checks."""
    h = {k: np.asarray(v, dtype=float) for k, v in result["history"].items()}
    last = slice(-max(1, len(h["step"]) // 4), None)
    jensen_gap = h["g_loss"] + np.log(h["d_fake"])        # mean(-log D) - (-log mean D) >= 0
    return {"d_real_loss": float(h["d_loss_real"][last].mean()),
            "d_fake_loss": float(h["d_loss_fake"][last].mean()),
            "g_loss": float(h["g_loss"][last].mean()),
            "acc": float(0.5 * (h["d_acc_real"][last] + h["d_acc_fake"][last]).mean()),
            "modes": result["final"]["modes"], "hq": 100 * result["final"]["high_quality"],
            "sw": result["final"]["sliced_w"],
            "corr": _spearman(h["d_loss_fake"], h["g_loss"]),
            "jensen_ok": bool(np.all(jensen_gap >= -1e-4))}


def far_run(seed, label, steps):
    """One GAN from 3 units away on the parallel lines: loss and distance per record."""
    config = dataclasses.replace(presets[FAR_RUNS[label]](), **FAR, seed=seed, steps=steps)
    r = parallel_lines.train_from_far(config, start=FAR_START, steps=steps, record_every=5)
    d_loss = np.asarray(r["trainer"].history["d_loss"], dtype=float)
    # the loss at each record: the mean of the 5 steps before it (the record's own step included)
    loss = np.array([d_loss[max(0, s - 5):s].mean() for s in r["step"]])
    return {"step": r["step"], "distance": r["distance"], "d_loss": loss}


def _far(seeds, steps, checks, jobs=None):
    tasks = [(s, label, steps) for s in seeds for label in FAR_RUNS]
    res = pmap(far_run, tasks, jobs=1 if len(seeds) == 1 else jobs)
    runs = {label: [r for (_, lab, _), r in zip(tasks, res) if lab == label] for label in FAR_RUNS}
    wgan, gan = (runs[k] for k in FAR_RUNS)
    after = lambda r: r["step"] > WARMUP  # noqa: E731
    rho = [_spearman(-r["d_loss"][after(r)], r["distance"][after(r)]) for r in wgan]
    checks.claim("critic_tracks_distance", min(rho) >= 0.8, "rank correlation " + over_seeds(rho))
    rho_gan = [_spearman(r["d_loss"][after(r)], r["distance"][after(r)]) for r in gan]
    checks.claim("gan_loss_does_not_track", max(abs(v) for v in rho_gan) < 0.5,
                 "rank correlation " + over_seeds(rho_gan))
    rows = [row("WGAN-GP from 3 units away: rank correlation of the critic's estimate with the distance to the data",
                paper="the critic's loss tracks sample quality (WGAN, Fig. 3; a plot)",
                measured=over_seeds(rho), note=f"after the first {WARMUP} steps"),
            row("GAN from 3 units away: rank correlation of D's loss with the distance to the data",
                paper="a GAN's loss does not track sample quality (WGAN, Fig. 4; a plot)",
                measured=over_seeds(rho_gan),
                note="D's loss even rises as G gets closer: read alone, it looks like trouble")]
    return rows, runs


def _answer(checks, s, n_seeds):
    held = checks.held
    h, c, f = (s[k] for k in RUNS)
    m = lambda st, k: float(np.mean([x[k] for x in st]))  # noqa: E731
    corr = f"{m(h, 'corr'):+.2f}, {m(c, 'corr'):+.2f}, {m(f, 'corr'):+.2f}"
    p1 = ("The curves are not measurements of quality; they are views of what D outputs. D's loss on "
          "real data is -log D(x), on fakes -log(1 - D(G(z))), and G's loss -log D(G(z)). The last two "
          "are functions of the one number D(G(z)): for a single sample, when one rises the other "
          "falls. " + (f"Over the steps they moved in opposite directions in every run (rank correlation "
                       f"{corr} in the three runs). " if held("two_views") else
                       f"Over the steps, though, the rank correlation was {corr} in the healthy, "
                       "collapsing and flat runs: each curve is taken on its own batch, and where D's "
                       "mean output on G's samples barely moves, the batch-to-batch spread of D can "
                       "move both losses the same way. ")
          + "Never read them as 'both losses should go down'.")
    p2 = (f"A healthy run (tinygan's default recipe, {n_seeds} seed(s)) ")
    p2 += (f"ends with {m(h, 'modes'):.1f} of 8 modes and {m(h, 'hq'):.0f} % of its samples within 3 std of "
           "a mode. " if held("healthy_is_healthy") else
           f"was meant to show good samples, but ended with {m(h, 'modes'):.1f} modes and only "
           f"{m(h, 'hq'):.0f} % high quality on some seed, so the claim failed. ")
    p2 += (f"Its D terms sit near log 2 = 0.69 ({m(h, 'd_real_loss'):.2f}, {m(h, 'd_fake_loss'):.2f}) and D's "
           f"accuracy near {100 * m(h, 'acc'):.0f} %: D cannot tell real from fake. "
           if held("healthy_d_near_log2") else
           f"Its D terms ({m(h, 'd_real_loss'):.2f}, {m(h, 'd_fake_loss'):.2f}) were not all within 0.2 of log 2. ")
    p3 = ("In the collapsing run (batches of 32, a larger step) G piles its samples on a few spots, "
          f"D learns to reject them and wins: accuracy {100 * m(c, 'acc'):.0f} %, "
          f"{m(c, 'modes'):.1f} of 8 modes. " if held("collapsing_d_wins") else
          "The collapsing run did not show D winning as claimed. ")
    p4 = ("The third run is the trap. An R1 penalty keeps D smooth, so its curves look just like the "
          f"healthy run's (D terms {m(f, 'd_real_loss'):.2f}, {m(f, 'd_fake_loss'):.2f}, accuracy "
          f"{100 * m(f, 'acc'):.0f} %), yet only {m(f, 'hq'):.1f} % of its samples are near a mode: a blur "
          "over the ring. Flat curves near log 2 are necessary, not sufficient. "
          if held("flat_but_poor") else
          "The R1 run was meant to show healthy-looking curves over poor samples; that did not hold "
          "here (see the failed claim). ")
    p4 += "Always plot the curves above a measurement of the samples, as tinygan does."
    p5 = ("A Wasserstein critic is different: its loss estimates a distance. Started 3 units from "
          "WGAN's parallel lines, ")
    p5 += ("the WGAN-GP critic's estimate fell with the distance to the data, step by step, while the "
           "GAN's D loss did not follow it (it even rose as G came closer): the lesson of "
           "Arjovsky et al.'s Figs 3 and 4. " if held("critic_tracks_distance") and held("gan_loss_does_not_track")
           else "the claim that the WGAN-GP critic tracks the distance while the GAN's loss stays "
                "flat did not fully hold here (see the failed claims). ")
    p5 += ("This part uses the parallel lines, where the distance to the data is known exactly "
           "(W1 = |theta|), so the critic's estimate can be compared with the truth.")
    return "\n\n".join([p1, p2 + p3, p4, p5])


def run(quick=False, out=OUT, jobs=None):
    """Train the runs, draw, compare; return the demo's result dict (see tinygan.questions.common)."""
    out = Path(out)
    q = QUICK if quick else {}
    seeds, every = q.get("seeds", SEEDS), q.get("eval_every", EVAL_EVERY)
    checks = Checks(CLAIMS)
    runs = []
    for label, (preset, changes, steps) in RUNS.items():      # the longest runs first
        steps = q.get("steps", {}).get(label, steps)
        for seed in seeds:
            runs.append((label, at_budget(presets[preset](), steps, data=DATA, seed=seed,
                                          eval_every=max(every, steps // 12), **changes)))
    results = train_runs([c for _, c in runs], jobs=1 if quick else jobs)
    by = {label: [r for (lab, _), r in zip(runs, results) if lab == label] for label in RUNS}
    s = {label: [_summary(r) for r in rs] for label, rs in by.items()}
    h, c, f = (s[k] for k in RUNS)
    checks.claim("healthy_is_healthy", all(x["modes"] >= 7 and x["hq"] >= 50 for x in h),
                 "; ".join(f"{x['modes']} modes, {x['hq']:.1f} %" for x in h))
    checks.claim("healthy_d_near_log2", all(abs(x["d_real_loss"] - LOG2) < 0.2 and abs(x["d_fake_loss"] - LOG2) < 0.2
                                            for x in h),
                 "; ".join(f"{x['d_real_loss']:.2f} / {x['d_fake_loss']:.2f}" for x in h))
    acc_h, acc_c = np.mean([x["acc"] for x in h]), np.mean([x["acc"] for x in c])
    checks.claim("collapsing_d_wins", acc_c > acc_h + 0.1 and np.mean([x["modes"] for x in c]) < np.mean([x["modes"] for x in h]),
                 f"accuracy {100 * acc_c:.0f} % vs {100 * acc_h:.0f} %; modes "
                 f"{np.mean([x['modes'] for x in c]):.1f} vs {np.mean([x['modes'] for x in h]):.1f}")
    checks.claim("flat_but_poor", all(abs(x["d_real_loss"] - LOG2) < 0.15 and abs(x["d_fake_loss"] - LOG2) < 0.15
                                      and 0.4 <= x["acc"] <= 0.85 and x["hq"] < 10 for x in f),
                 "; ".join(f"{x['d_real_loss']:.2f} / {x['d_fake_loss']:.2f}, {100 * x['acc']:.0f} %, "
                           f"{x['hq']:.1f} % HQ" for x in f))
    all_runs = [x for v in s.values() for x in v]
    checks.self_check("jensen", all(x["jensen_ok"] for x in all_runs),
                      "g_loss = mean -log D(G(z)) >= -log mean D(G(z)) at every step (Jensen, same batch)",
                      f"{len(all_runs)} runs")
    checks.claim("two_views", all(x["corr"] < 0 for x in all_runs),
                 "rank correlation per run: " + ", ".join(f"{x['corr']:+.2f}" for x in all_runs))
    rows_far, far = _far(seeds, q.get("far_steps", FAR_STEPS), checks, jobs)

    def stat(runs, k, fmt="{:.2f}", scale=1.0, unit=""):
        return over_seeds([scale * x[k] for x in runs], fmt, unit)

    table = []
    for label, runs in s.items():
        preset, changes, steps = RUNS[label]
        what = f"{preset}" + (f" with {', '.join(f'{k}={v}' for k, v in changes.items())}" if changes else " (the default recipe)")
        table += [
            row(f"{label} ({what}): D's loss terms real / fake, last quarter",
                expected="near log 2 = 0.69 each when D cannot tell (Goodfellow et al. Prop. 1)" if label != "collapsing"
                else "below log 2: D wins",
                measured=f"{stat(runs, 'd_real_loss')} / {stat(runs, 'd_fake_loss')}"),
            row(f"{label}: D's accuracy, last quarter", expected="50-80 %" if label != "collapsing" else "high",
                measured=stat(runs, "acc", "{:.0f}", 100, " %")),
            row(f"{label}: modes of 8 / high-quality % / sliced W1 at the end",
                expected={"healthy": "8 / most samples", "collapsing": "a few modes",
                          "flat curves, poor samples": "curves cannot say"}[label],
                measured=f"{stat(runs, 'modes', '{:.1f}')} / {stat(runs, 'hq', '{:.1f}', unit=' %')} / "
                         f"{stat(runs, 'sw', '{:.3f}')}"),
        ]
    table += rows_far
    figures = [str(out / "healthy_vs_collapsing.png"), str(out / "flat_but_poor.png"),
               str(out / "two_views.png"), str(out / "critic_tracks_quality.png")]
    labels = list(RUNS)
    compare.plot_runs_side_by_side(
        [{"title": f"Healthy: default recipe (seed {seeds[0]})", "history": by[labels[0]][0]["history"],
          "evaluations": by[labels[0]][0]["evaluations"]},
         {"title": f"Collapsing: small batches, large step (seed {seeds[0]})", "history": by[labels[1]][0]["history"],
          "evaluations": by[labels[1]][0]["evaluations"]}],
        path=figures[0], title="The same curves, two stories (ring of 8)")
    compare.plot_runs_side_by_side(
        [{"title": f"Flat curves (R1 = 1, seed {seeds[0]})", "history": by[labels[2]][0]["history"],
          "evaluations": by[labels[2]][0]["evaluations"]},
         {"title": f"Healthy, for comparison (seed {seeds[0]})", "history": by[labels[0]][0]["history"],
          "evaluations": by[labels[0]][0]["evaluations"]}],
        path=figures[1], title="Flat curves, poor samples: the curves look the same, the samples do not")
    compare.plot_two_views({"healthy": by[labels[0]][0]["history"], "collapsing": by[labels[1]][0]["history"]},
                           path=figures[2], title="d_loss_fake and g_loss: one number, two views")
    compare.plot_loss_vs_quality(far, path=figures[3])
    held = checks.held
    finding = (("D's fake loss and G's loss are two views of one number and moved in opposite "
                "directions in every run; " if held("two_views") else
                "D's fake loss and G's loss are two views of one number, D(G(z)), yet they did not move "
                "in opposite directions in every run (each is taken on its own batch); ")
               + (f"a healthy run (here {np.mean([x['hq'] for x in h]):.0f} % high-quality samples) shows D's "
                  "terms flat near log 2, " if held("healthy_is_healthy") else "")
               + ("a collapsing one shows D winning, " if held("collapsing_d_wins") else "")
               + ("but flat curves can also hide a blur of poor samples, " if held("flat_but_poor") else "")
               + "so only a measurement of the samples says how good a GAN is"
               + ("; a WGAN critic's loss, unlike a GAN's, tracks the distance to the data." if
                  held("critic_tracks_distance") and held("gan_loss_does_not_track") else
                  "; a WGAN critic's loss tracks the distance to the data (the GAN's D loss moved "
                  "against it)." if held("critic_tracks_distance") else "."))
    captions = [
        f"The textbook layout for the healthy run (left) and the collapsing one (right), seed {seeds[0]}: "
        "(a) D's two loss terms and G's loss (faint: every step; thick: moving average), (b) D's "
        "accuracy, then what the curves cannot show: (c) modes captured and the high-quality share, "
        "(d) the sliced Wasserstein distance to the data. Compare rows (a) and (c).",
        "The R1 run (left) beside the healthy run (right): look at row (a), both flat near log 2, "
        "then at the high-quality share in row (c).",
        "Every step of two runs as a dot. (a) G's loss lies on -log D as a function of mean D(G(z)) "
        "(above it by Jensen's inequality). (b) Plotted against each other: for a single sample the pair lies on "
        "the decreasing curve; the collapsing run's dots follow it, the healthy run's cloud near "
        "(log 2, log 2) does not, because each loss is taken on its own batch.",
        "Started 3 units from the data line, a line per seed. Left: the WGAN-GP critic's estimate "
        "E f(real) - E f(fake) (purple) falls with the distance to the data (grey). Right: the GAN's D "
        "loss (red) does not follow the distance; it rises as G arrives."]
    return {"question": QUESTION, "finding": finding, "answer": _answer(checks, s, len(seeds)),
            "figures": figures, "captions": captions, "table": table, "checks": checks.result(),
            "seeds": list(seeds), "stats": {k: v for k, v in s.items()}}


def main(argv=None):
    return demo_main(run, QUESTION, OUT, "300 steps, one seed, for tests", argv)


if __name__ == "__main__":
    raise SystemExit(main())
