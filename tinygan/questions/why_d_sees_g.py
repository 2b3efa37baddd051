"""Q6: why train the discriminator on the generator's samples at all?

The asker's proposal, run for real: train D on real data against noise (or against noise
blended into the data, `real * t + noise * (1 - t)` with t ramping from 0 to 1), or train D
against noise first and freeze it, and let G climb that D exactly as in a GAN. Same G, same
recipe, same budget as the standard GAN; only what D is shown differs. One more variant: the
noise four times wider than the data, to separate what the argument predicts from how a
ReLU discriminator happens to extrapolate. Three seeds each.

The argument (docs/references.md#q6): trained against fixed noise, the best D is
D*(x) = p_data(x) / (p_data(x) + p_noise(x)) (Goodfellow et al. 2014, Prop. 1 with p_noise in
place of p_g): it does not depend on G at all, so it tells G nothing about where G is. And a
generator answering a fixed D is best off sending every z to the one point D scores highest
(Goodfellow 2016, Sec. 5.1.1): a single point.

    tinygan demo why_d_sees_g [--quick]      (or python -m tinygan.questions.why_d_sees_g)
"""

from pathlib import Path

import numpy as np

from tinygan.config import presets
from tinygan.data import get_dataset
from tinygan.questions.common import Checks, Claim, demo_main, over_seeds, row
from tinygan.questions.sweep import at_budget, train_runs
from tinygan.plots import compare

# ---- settings ---------------------------------------------------------------------------
OUT = "runs/demos/why_d_sees_g"
DATA = "ring"
RECIPE = "classic"             # the same plain GAN recipe for every variant (preset name)
VARIANTS = {                   # label -> (BlindTrainer negatives, noise_scale)
    "standard GAN: D sees G's samples": ("standard", 1.0),
    "D sees real vs noise": ("noise", 1.0),
    "D sees real vs real*t + noise*(1-t)": ("blend", 1.0),
    "D pretrained vs noise, then frozen": ("frozen", 1.0),
    "D sees real vs noise 4x wider": ("noise", 4.0),
}
SEEDS = (0, 1, 2)
STEPS = 1000
PRETRAIN = 500                 # D steps against noise before the frozen D is frozen
EVAL_EVERY = 100               # the blend's weight t is known to 0.1 when it runs off
SNAP_STEPS = (0, 50, 100, 200, 500, 1000)
RUNAWAY = 1.0                  # "ran off": sliced W1 to the data above the ring's radius
QUICK = dict(seeds=(0,), steps=200, pretrain=200, eval_every=50, snap_steps=(0, 100, 200))

QUESTION = ("Why train D on the generator's samples at all? Why not train it on real data "
            "against noise, blended towards the data as training goes on?")

# ---- the claims, fixed before the run ----------------------------------------------------
STD, WIDE = "standard GAN: D sees G's samples", "D sees real vs noise 4x wider"
BLIND = [v for v in VARIANTS if v != STD]
CLAIMS = {
    "standard_covers_modes": Claim(
        "the standard GAN captures at least 4 of 8 ring modes, mean over seeds",
        "a plain GAN at this budget covers about 6 (the benchmark, 2,000 steps: 6.6); 4 leaves room "
        "for the shorter run."),
    **{f"blind_{VARIANTS[v][0]}{'' if VARIANTS[v][1] == 1 else '_wide'}_fewer_modes": Claim(
        f"'{v}': at least 2 modes fewer than the standard GAN, mean over seeds",
        "D never learns where G is, so nothing spreads G over the modes (the fixed-D argument).")
       for v in BLIND},
    "blind_far_from_data": Claim(
        "the three blind variants with noise of the data's spread (noise, blend, frozen) end at least "
        "twice as far from the data (sliced W1) as the standard GAN, mean over seeds",
        "G climbs a D that never reacts to it: it ends wherever that D is highest, not on the data. "
        "(The wide-noise variant is predicted to sit on one mode instead: its own claim.)"),
    "wide_noise_one_point": Claim(
        "with noise 4x wider, G collapses to one point: at least 95 % of its samples nearest to a "
        "single mode and their spread below 0.1, on every seed",
        "Goodfellow 2016, Sec. 5.1.1: G's best response to a fixed D is a point mass at D's maximum; "
        "0.1 is a tenth of the ring's radius."),
    "blend_runs_off_early": Claim(
        f"the blend runs off (sliced W1 above {RUNAWAY}) while its blend weight t is still below 0.5, on every seed",
        "if the blend failed because t -> 1 makes the negatives look like the data, it would fail "
        "late; an early runaway points at how D extrapolates beyond the noise instead."),
}


def _runs(seeds, steps, eval_every, pretrain):
    base = presets[RECIPE]()
    return [(v, {"config": at_budget(base, steps, data=DATA, seed=s, eval_every=eval_every),
                 "negatives": neg, "noise_scale": scale, "pretrain": pretrain if neg == "frozen" else 0})
            for v, (neg, scale) in VARIANTS.items() for s in seeds]


def _claim_name(v):
    neg, scale = VARIANTS[v]
    return f"blind_{neg}{'' if scale == 1 else '_wide'}_fewer_modes"


def run(quick=False, out=OUT, jobs=None):
    """Train every variant, measure, draw; return the demo's result dict."""
    out = Path(out)
    q = QUICK if quick else {}
    seeds, steps = q.get("seeds", SEEDS), q.get("steps", STEPS)
    every, pretrain = q.get("eval_every", EVAL_EVERY), q.get("pretrain", PRETRAIN)
    snap_steps = q.get("snap_steps", SNAP_STEPS)
    checks = Checks(CLAIMS)
    runs = _runs(seeds, steps, every, pretrain)
    results = train_runs([spec for _, spec in runs], snap_steps=snap_steps, landscape=True,
                         jobs=1 if quick else jobs)
    by = {}
    for (v, _), r in zip(runs, results):
        by.setdefault(v, []).append(r)

    def per(v, f):
        return [f(r) for r in by[v]]

    def top_share(r):
        counts = np.asarray(r["final"]["counts"], dtype=float)
        return float(counts.max() / counts.sum()) if counts.sum() else 0.0

    def runaway_t(r):
        for e in r["evaluations"]:
            if e["sliced_w"] > RUNAWAY:
                return e["step"] / max(r["config"].steps - 1, 1)
        return None

    stats = {v: {"modes": per(v, lambda r: r["final"]["modes"]),
                 "hq": per(v, lambda r: 100 * r["final"]["high_quality"]),
                 "sw": per(v, lambda r: r["final"]["sliced_w"]),
                 "spread": per(v, lambda r: r["landscape"]["peak"]["spread"]),
                 "top": per(v, top_share)}
             for v in VARIANTS}
    mean = lambda v, k: float(np.mean(stats[v][k]))  # noqa: E731
    std = stats[STD]
    checks.claim("standard_covers_modes", mean(STD, "modes") >= 4, over_seeds(std["modes"], "{:.1f}"))
    for v in BLIND:
        checks.claim(_claim_name(v), mean(v, "modes") <= mean(STD, "modes") - 2,
                     f"{mean(v, 'modes'):.1f} vs {mean(STD, 'modes'):.1f}")
    ratios = {v: mean(v, "sw") / mean(STD, "sw") for v in BLIND}
    narrow = [v for v in BLIND if v != WIDE]
    checks.claim("blind_far_from_data", min(ratios[v] for v in narrow) >= 2,
                 ", ".join(f"{VARIANTS[v][0]} x{ratios[v]:.1f}" for v in narrow))
    w = stats[WIDE]
    checks.claim("wide_noise_one_point", all(t >= 0.95 and s < 0.1 for t, s in zip(w["top"], w["spread"])),
                 "; ".join(f"{100 * t:.1f} % in one mode, spread {s:.3f}" for t, s in zip(w["top"], w["spread"])))
    blend = "D sees real vs real*t + noise*(1-t)"
    ts = [runaway_t(r) for r in by[blend]]
    checks.claim("blend_runs_off_early", all(t is not None and t < 0.5 for t in ts),
                 "blend weight when it ran off: " + ", ".join("never" if t is None else f"{t:.2f}" for t in ts))

    table = [
        row("the best D against fixed noise", paper="D* = p_data / (p_data + p_g) (Goodfellow et al. "
            "2014, Prop. 1), with p_noise for p_g", expected="does not depend on G: it cannot tell G where G is"),
        row("G's best response to a fixed D", paper="send every z to D's highest point (Goodfellow 2016, Sec. 5.1.1)",
            expected="a single point"),
    ]
    for v in VARIANTS:
        s = stats[v]
        table.append(row(f"{v}: modes captured of 8 / high-quality %",
                         expected="most modes" if v == STD else "fewer: G drifts to D's favourite spot",
                         measured=f"{over_seeds(s['modes'], '{:.1f}')} / {over_seeds(s['hq'], '{:.1f}', ' %')}"))
        table.append(row(f"{v}: sliced W1 to the data / spread of G's samples / share in the biggest mode",
                         expected="near the data" if v == STD else "far from the data, or one point",
                         measured=f"{over_seeds(s['sw'], '{:.3f}')} / {over_seeds(s['spread'], '{:.3f}')} / "
                                  f"{over_seeds([100 * t for t in s['top']], '{:.0f}', ' %')}"))
    table.append(row("blend: its weight t when G ran off (sliced W1 above the ring's radius)",
                     expected="if 'negatives too close to the data' were the cause: near 1",
                     measured=", ".join("never" if t is None else f"{t:.2f}" for t in ts)))

    figures = [str(out / "landscapes.png"), str(out / "samples_over_steps.png")]
    panels = []
    for v in VARIANTS:
        r = by[v][0]
        land = r["landscape"]
        panels.append({"title": v, "xs": land["xs"], "ys": land["ys"], "prob": land["prob"],
                       "real": land["real"], "fake": land["fake"], "peak": land["peak"]["peak"],
                       "note": f"{r['final']['modes']} of 8 modes, sliced W {r['final']['sliced_w']:.2f}"})
    compare.plot_d_landscapes(panels, path=figures[0], ncol=3, title=(
        f"After {steps} steps: the discriminator each generator climbed, and where it went (seed {seeds[0]})"))
    rows = []
    for v in VARIANTS:
        r = by[v][0]
        ev = {e["step"]: e for e in r["evaluations"]}
        lim = max(1.6, 1.1 * max(np.quantile(np.abs(x).max(axis=1), 0.95) for x in r["snaps"].values()))
        rows.append({"label": v.replace(": ", ":\n").replace(" vs ", "\nvs "),
                     "centers": get_dataset(DATA).centers, "lim": lim, "frame_note": lim > 3,
                     "snaps": [(s, r["snaps"][s], f"{ev[s]['modes']} modes, SW {ev[s]['sliced_w']:.2f}"
                                if s in ev else None) for s in snap_steps]})
    compare.plot_sample_strips(rows, path=figures[1], title=(
        "Generated samples during training (blue circles: the 8 modes; each row zooms out to where "
        "its generator went)"))

    held = checks.held
    worst = max(BLIND, key=lambda v: ratios[v])
    s = []
    s.append(
        "The generator never learns from the data directly: its only instruction is 'move your samples "
        "to where D scores higher'. Trained against fixed noise, the best discriminator is "
        "D*(x) = p_data(x) / (p_data(x) + p_noise(x)) (Goodfellow et al. 2014, Prop. 1, with the noise "
        "in place of G): G does not appear in it. Whatever G does, this D stays the same, so it never "
        "tells G where G's samples are; and a generator answering a fixed D is best off sending every "
        "z to the one point that D scores highest (Goodfellow 2016, Sec. 5.1.1).")
    p = (f"In this run (ring of 8, {len(seeds)} seed(s), {steps} steps each) the standard GAN captures "
         f"{mean(STD, 'modes'):.1f} of 8 modes at sliced W1 {mean(STD, 'sw'):.2f}. ")
    fewer = [v for v in BLIND if held(_claim_name(v))]
    p += (f"Every blind variant captures at least 2 modes fewer" if len(fewer) == len(BLIND) else
          f"{len(fewer)} of {len(BLIND)} blind variants capture at least 2 modes fewer")
    p += (f"; the three with noise of the data's spread end at least twice as far from the data (up to "
          f"{ratios[worst]:.0f} times, '{worst}'). "
          if held("blind_far_from_data") else "; not all of the narrow-noise ones end twice as far from the data. ")
    s.append(p)
    p = ("Where G ends up depends on where this D is highest, and that depends on how the D extrapolates. "
         "With noise of the data's own spread, the noise covers little beyond the ring, and a ReLU "
         "discriminator's score keeps rising linearly outside the region it was trained on: G follows "
         "it off the page. ")
    if held("wide_noise_one_point"):
        p += (f"With noise 4 times wider the noise covers that region, D* is highest on the data, and G "
              f"does exactly what the argument predicts: it collapses to a single point on one mode "
              f"({100 * np.mean(w['top']):.1f} % of the samples in one mode, spread {np.mean(w['spread']):.3f}). ")
    elif min(w["top"]) >= 0.95:
        p += (f"With noise 4 times wider the noise covers that region, D* is highest on the data, and G "
              f"collapses onto a single mode ({100 * np.mean(w['top']):.1f} % of the samples nearest to "
              f"one mode), as the argument predicts; but within {steps} steps it is a small blob (spread "
              f"{np.mean(w['spread']):.2f}), not yet the single point the claim asked for. ")
    else:
        p += ("With noise 4 times wider, G did not collapse onto one mode on every seed as the "
              f"argument predicts ({100 * np.mean(w['top']):.0f} % in one mode, spread {np.mean(w['spread']):.2f}). ")
    if held("blend_runs_off_early"):
        p += ("The blend does not rescue it, and not for the reason one might guess: it runs off while "
              f"its blend weight is still {np.mean(ts):.2f}, when the negatives are still mostly noise; "
              "the blend's negatives lie between the data and the noise, so D's score is highest beyond "
              "the data, and G goes there.")
    else:
        p += ("The blend does not rescue it either; in this run it did not run off early on every "
              "seed (blend weight when it did: " + ", ".join("never" if t is None else f"{t:.2f}" for t in ts) + ").")
    s.append(p)
    s.append("Training D on G's current samples is what makes the game work: every spot where G piles "
             "up becomes 'fake' in the next D step, so G is pushed off it, and the only place D cannot "
             "push G further is the data distribution itself.")
    finding = ("A discriminator trained against noise has the optimum p_data / (p_data + p_noise), which "
               "does not depend on G, so it never learns where G went: G climbs to whatever that D "
               "scores highest"
               + (", off the page with narrow noise, onto a single point with wide noise" if held("wide_noise_one_point")
                  else ", off the page with narrow noise, onto a single mode with wide noise" if min(w["top"]) >= 0.95
                  else "")
               + f", ending up to {ratios[worst]:.0f} times farther from the data than the standard GAN "
               f"({mean(STD, 'modes'):.1f} of 8 modes).")
    captions = [
        "Each variant's discriminator after training as a heatmap of D(x) (blue: 'real', red: 'fake'), "
        "with the data (blue dots), G's samples (red) and D's highest point in the frame (star). Frames "
        "zoom out to where G went; a star on the border means D's score keeps growing beyond it.",
        "Samples of each generator at several steps (first seed), with modes captured and sliced "
        "Wasserstein distance (SW). Compare the blend row's early columns with the wide-noise row's last."]
    return {"question": QUESTION, "finding": finding, "answer": "\n\n".join(s), "figures": figures,
            "captions": captions, "table": table, "checks": checks.result(), "seeds": list(seeds),
            "stats": {v: {k: float(np.mean(x)) for k, x in st.items()} for v, st in stats.items()}}


def main(argv=None):
    return demo_main(run, QUESTION, OUT, "one seed, 200 steps, for tests", argv)


if __name__ == "__main__":
    raise SystemExit(main())
