"""Q5: how to read D and G loss curves, a healthy run beside a collapsing one.

Two runs on the ring of 8, the same networks and number of steps: a GAN kept healthy by a
gradient penalty on D (R1), and a plain GAN pushed into collapse by small batches and a
larger step. Their curves are drawn in the textbook layout (D's loss on
real and on fake, G's loss, D's accuracy) above what the curves are meant to reveal and do
not show by themselves: modes captured and the distance to the data. A second figure shows
why d_loss_fake and g_loss move in opposite directions: both are functions of one number.

    python demos/loss_curves.py            # full run (~1 minute on 2 cores)
    python demos/loss_curves.py --quick    # a few seconds, for tests
"""

import dataclasses
import math
from pathlib import Path

import numpy as np

from tinygan.config import presets
from tinygan.plots import compare
from tinygan.lab.sweep import train_runs
from tinygan.app.report import demo_main

# ---- settings ---------------------------------------------------------------------------
OUT = "runs/demos/loss_curves"
DATA = "ring"
SEED = 0
STEPS = 2000
EVAL_EVERY = 100
# preset and changes of the healthy run: the classic GAN with an R1 penalty of weight 1 on D,
# which keeps D smooth, its loss terms near log 2 and its accuracy near 75 % (measured)
STABLE = ("r1", {"r1": 1.0})
# preset and changes of the collapsing run: small noisy batches, a larger step for both
COLLAPSE = ("classic", {"batch_size": 32, "g_lr": 2e-3, "d_lr": 2e-3})
QUICK = dict(steps=300, eval_every=50)
LOG2 = math.log(2.0)

QUESTION = ("How should I read the D and G loss curves? What does a healthy run look like, "
            "and what does mode collapse look like?")


def _spearman(a, b):
    """Rank correlation of two equal-length series (no ties expected in float losses)."""
    ra = np.argsort(np.argsort(a)).astype(float)
    rb = np.argsort(np.argsort(b)).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])


def _summary(result, tail):
    """Means over the last `tail` steps, the final metrics, and the two-views checks."""
    h = {k: np.asarray(v, dtype=float) for k, v in result["history"].items()}
    last = slice(-tail, None)
    jensen_gap = h["g_loss"] + np.log(h["d_fake"])        # mean(-log D) - (-log mean D) >= 0
    return {
        "d_real_loss": float(h["d_loss_real"][last].mean()),
        "d_fake_loss": float(h["d_loss_fake"][last].mean()),
        "g_loss": float(h["g_loss"][last].mean()),
        "acc": float(0.5 * (h["d_acc_real"][last] + h["d_acc_fake"][last]).mean()),
        "g_loss_sd": float(h["g_loss"][last].std()),
        "modes": result["final"]["modes"], "hq": 100 * result["final"]["high_quality"],
        "sw": result["final"]["sliced_w"],
        "min_modes_late": min(e["modes"] for e in result["evaluations"][len(result["evaluations"]) // 2:]),
        "corr": _spearman(h["d_loss_fake"], h["g_loss"]),
        "jensen_ok": bool(np.all(jensen_gap >= -1e-4)),
    }


def run(quick=False, out=OUT):
    """Train both runs, draw, compare; return question, answer, figures, table, claims."""
    out = Path(out)
    steps = QUICK["steps"] if quick else STEPS
    every = QUICK["eval_every"] if quick else EVAL_EVERY
    base = dict(data=DATA, seed=SEED, steps=steps, eval_every=every)
    (s_name, s_changes), (name, changes) = STABLE, COLLAPSE
    configs = [dataclasses.replace(presets[s_name](), **base, **s_changes),
               dataclasses.replace(presets[name](), **base, **changes)]
    stable, collapse = train_runs(configs, jobs=1 if quick else None)
    tail = steps // 4
    s, c = _summary(stable, tail), _summary(collapse, tail)
    change_text = ", ".join(f"{k}={v}" for k, v in changes.items())
    stable_text = ", ".join(f"{k}={v}" for k, v in s_changes.items())

    figures = [str(out / "side_by_side.png"), str(out / "two_views.png")]
    compare.plot_runs_side_by_side(
        [{"title": f"Healthy: classic GAN with {stable_text} (R1 penalty)", "history": stable["history"],
          "evaluations": stable["evaluations"]},
         {"title": f"Collapsing: {name} GAN with {change_text}", "history": collapse["history"],
          "evaluations": collapse["evaluations"]}],
        path=figures[0], title=f"The same curves, two stories ({DATA} of 8 Gaussians, {steps} steps)")
    compare.plot_two_views({"healthy": stable["history"], "collapsing": collapse["history"]},
                           path=figures[1], title=(
        "d_loss_fake = -log(1 - D(G(z))) and g_loss = -log D(G(z)): one number, two views"))

    def row(q, paper, tg, diff="—"):
        return {"quantity": q, "paper": paper, "tinygan": tg, "difference": diff}

    table = [
        row("healthy: D loss per term, real / fake (last quarter)", "hovers near log 2 = 0.69",
            f"{s['d_real_loss']:.2f} / {s['d_fake_loss']:.2f}",
            f"{s['d_real_loss'] - LOG2:+.2f} / {s['d_fake_loss'] - LOG2:+.2f}"),
        row("healthy: D accuracy (last quarter)", "50-80 %", f"{100 * s['acc']:.0f} %"),
        row("healthy: modes captured / HQ % / sliced W1 at the end", "all 8 modes",
            f"{s['modes']} / {s['hq']:.0f} / {s['sw']:.3f}", f"{s['modes'] - 8:+d} modes"),
        row("collapsing: D loss per term, real / fake (last quarter)",
            "D wins outright: well below log 2", f"{c['d_real_loss']:.2f} / {c['d_fake_loss']:.2f}",
            f"{c['d_real_loss'] - LOG2:+.2f} / {c['d_fake_loss'] - LOG2:+.2f}"),
        row("collapsing: D accuracy / G loss (last quarter)", "D near 100 %, G loss high",
            f"{100 * c['acc']:.0f} % / {c['g_loss']:.2f}"),
        row("collapsing: modes captured / HQ % / sliced W1 at the end", "a few modes",
            f"{c['modes']} / {c['hq']:.0f} / {c['sw']:.3f}", f"{c['modes'] - 8:+d} modes"),
        row("rank correlation of d_loss_fake and g_loss over steps, healthy / collapsing",
            "negative: one rises when the other falls", f"{s['corr']:+.2f} / {c['corr']:+.2f}"),
        row("g_loss >= -log(mean D(G(z))) at every step (Jensen), both runs", "always",
            "yes" if s["jensen_ok"] and c["jensen_ok"] else "no",
            "agrees" if s["jensen_ok"] and c["jensen_ok"] else "DISAGREES"),
    ]
    answer = (
        "The three curves are not three measurements of quality; they are three views of what "
        "D outputs. D's loss on real data is -log D(x), its loss on fakes is -log(1 - D(G(z))), "
        "and the generator's loss is -log D(G(z)). The last two are both functions of the single "
        "number D(G(z)): when D calls the fakes more fake, D's fake loss falls and G's loss rises, "
        f"so they mirror each other (rank correlation {s['corr']:+.2f} and {c['corr']:+.2f} "
        "over the steps of the two runs) and must never be read as 'both losses should go "
        "down'. In a healthy run (here an R1 gradient penalty of weight 1 keeps D from becoming "
        "too sharp) the game sits near its equilibrium: D cannot tell real from fake, each of "
        f"its loss terms hovers near log 2 = 0.69 (here {s['d_real_loss']:.2f} "
        f"and {s['d_fake_loss']:.2f}), its accuracy stays between chance and about 80 % "
        f"(here {100 * s['acc']:.0f} %), and the curves stay flat while the samples improve "
        f"(this run ends with {s['modes']} of 8 modes). In the collapsing run (small batches of 32 "
        "and a larger step), the generator piles its samples onto one mode at a time, D learns "
        "to reject that spot and wins outright: its losses sink towards 0, its accuracy "
        f"climbs to {100 * c['acc']:.0f} %, G's loss climbs to {c['g_loss']:.2f} and jumps "
        f"around, and the generator ends with {c['modes']} of 8 modes. The curves alone never "
        "tell you how many modes are covered or how far the samples are from the data, and a "
        "flat curve is not a guarantee either: always plot them above a measurement of the "
        "samples, as tinygan does."
    )
    claims = {
        "healthy_d_terms_near_log2": abs(s["d_real_loss"] - LOG2) < 0.3 and abs(s["d_fake_loss"] - LOG2) < 0.3,
        "healthy_accuracy_in_band": 0.4 <= s["acc"] <= 0.85,
        "collapsing_d_wins": c["acc"] > s["acc"] + 0.1,
        "healthy_covers_more_modes": s["modes"] > c["modes"],
        "views_anticorrelated": s["corr"] < -0.3 and c["corr"] < -0.3,
        "jensen_holds": s["jensen_ok"] and c["jensen_ok"],
    }
    finding = (
        "D's loss on fakes and G's loss are two views of one number, D(G(z)), so they always move "
        "in opposite directions; a healthy run shows D's terms flat near log 2 "
        f"({s['d_real_loss']:.2f}, {s['d_fake_loss']:.2f}) and {s['modes']} of 8 modes, a collapsing "
        f"one shows D winning ({100 * c['acc']:.0f} % accuracy) and {c['modes']} of 8 modes, and only "
        "the panels under the curves say how many modes are covered.")
    captions = [
        "The textbook layout for both runs, one per column: (a) D's two loss terms and G's loss "
        "(faint: every step; thick: moving average), (b) D's accuracy on each side, then what the "
        "curves cannot show: (c) modes captured and the share of high-quality samples, (d) the "
        "sliced Wasserstein distance to the data.",
        "Every step of both runs as a dot. (a) G's loss lies exactly on -log D as a function of "
        "mean D(G(z)) (above it by Jensen's inequality), and D's fake loss scatters around "
        "-log(1 - D), measured on a different batch just before D's update. (b) Plotted against "
        "each other, they trace one decreasing curve: they cannot both go down."]
    return {"question": QUESTION, "answer": answer, "finding": finding, "figures": figures,
            "captions": captions, "table": table, "claims": claims,
            "stats": {"healthy": s, "collapsing": c}}


def main(argv=None):
    demo_main(run, QUESTION, OUT, "300 steps, for tests", argv)


if __name__ == "__main__":
    main()
