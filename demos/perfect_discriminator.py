"""Q1: why does a perfect discriminator leave the generator no gradient?

Two experiments:
  * the generator costs of Goodfellow's NIPS 2016 tutorial (Fig. 16) and their slopes with
    respect to D's logit, checked at D(G(z)) = 0.5 against the tutorial's numbers;
  * the experiment of Arjovsky & Bottou (2017), Figs 1-3, on a 2-D toy: a frozen generator
    whose samples lie on a curve beside the data segment, a discriminator trained from
    scratch for 4,000 steps, and the norm of the generator's gradient under the minimax and
    the non-saturating costs, without and with instance noise.

    python demos/perfect_discriminator.py            # full run (~15 s), figures in runs/demos/...
    python demos/perfect_discriminator.py --quick    # 1,000 D steps, for tests
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # tiny matrices: threads only cost time

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from tinygan.lab import saturation  # noqa: E402
from tinygan.data import get_dataset  # noqa: E402
from tinygan.losses import get_loss  # noqa: E402
from tinygan.plots import probes as pplots  # noqa: E402
from tinygan.app.report import demo_main  # noqa: E402

# ---- settings ---------------------------------------------------------------------------
OUT = "runs/demos/perfect_discriminator"
DATA = get_dataset("line")          # the segment from (-1, -1) to (1, 1)
G_CENTER = (0.6, -0.6)              # the frozen generator's curve sits beside it, ~0.85 away
G_SPREAD = 0.5
D_STEPS, D_STEPS_QUICK = 4000, 1000  # the paper trains D for 4,000 iterations
D_HIDDEN = (64, 64)
D_LR = 1e-3                         # Adam, betas (0.5, 0.999)
BATCH = 128
RECORD_EVERY = 20
NOISE = 0.3                         # instance-noise std (constant: G is frozen, nothing to anneal)
SEED = 0

# Goodfellow (2016), Fig. 16 and its text: the costs at D(G(z)) = 0.5 and slopes w.r.t. the logit
PAPER_J_HALF = {"minimax": -0.347, "nonsaturating": 0.347, "max_likelihood": -0.5}
PAPER_SLOPE = {"minimax": "-D/2", "nonsaturating": "-(1-D)/2", "max_likelihood": "-D/(2(1-D))"}
SLOPE_FORMULA = {"minimax": lambda d: -d / 2, "nonsaturating": lambda d: -(1 - d) / 2,
                 "max_likelihood": lambda d: -d / (2 * (1 - d))}
PAPER_DECAY = 5                     # "in the best case 5 orders of magnitude after 4000 iterations"
MIN_DECAY = 2.5                     # full-run check: measured 2.91 (seed 0), 2.77-3.03 over seeds 0-4

QUESTION = "Why does a perfect discriminator leave the generator no gradient, even though its loss is huge?"


def _costs(out):
    """The tutorial's three costs and their slopes; figure (a) and the D = 0.5 rows."""
    d = np.linspace(1e-4, 1 - 1e-4, 2001)
    costs = {c: saturation.generator_cost(c, d) for c in saturation.COSTS}
    slopes = {c: saturation.generator_cost_slope(c, d) for c in saturation.COSTS}
    at_half = {c: saturation.generator_cost(c, 0.5) for c in saturation.COSTS}
    fig_path = str(Path(out) / "generator_costs.png")
    pplots.plot_generator_costs(d, costs, slopes, marks=at_half, path=fig_path)
    rows, claims = [], {}
    for c in saturation.COSTS:
        rows.append({"quantity": f"tutorial J at D(G(z)) = 0.5, {c}", "paper": PAPER_J_HALF[c],
                     "tinygan": round(at_half[c], 4),
                     "difference": f"{at_half[c] - PAPER_J_HALF[c]:+.1e} (paper rounds)"})
        claims[f"J_half_{c}"] = abs(at_half[c] - PAPER_J_HALF[c]) < 5e-4
    # the slopes against central differences of J(sigmoid(l)) in the logit l (float64)
    logits, h = np.linspace(-12.0, 6.0, 37), 1e-5
    sig = lambda l: 1.0 / (1.0 + np.exp(-l))  # noqa: E731
    for c in saturation.COSTS:
        fd = (saturation.generator_cost(c, sig(logits + h)) - saturation.generator_cost(c, sig(logits - h))) / (2 * h)
        exact = saturation.generator_cost_slope(c, sig(logits))
        err = float(np.max(np.abs(exact - fd) / (1.0 + np.abs(exact))))   # relative, with a floor
        s = saturation.generator_cost_slope(c, 0.5)
        rows.append({"quantity": f"dJ/dlogit, {c} (value at D = 0.5)", "paper": PAPER_SLOPE[c],
                     "tinygan": round(s, 4),
                     "difference": f"{s - SLOPE_FORMULA[c](0.5):+.1e}; vs finite diff. {err:.0e}"})
        claims[f"slope_{c}"] = s == SLOPE_FORMULA[c](0.5) and err < 1e-8
    # the library's loss (no 1/2): minimax log(1 - D) = 2J at D = 0.5; its slope -D, not -D/2
    lib_value, lib_grad = get_loss("minimax").g(np.zeros(1))
    rows.append({"quantity": "tinygan losses.py minimax G loss at D = 0.5 (no 1/2)",
                 "paper": "2 x -0.347 = -0.693", "tinygan": round(lib_value, 4),
                 "difference": f"{lib_value - 2 * saturation.generator_cost('minimax', 0.5):+.1e} vs 2J"})
    claims["library_is_twice_tutorial"] = (
        abs(lib_value - 2 * saturation.generator_cost("minimax", 0.5)) < 1e-12
        and abs(lib_grad["fake_logits"][0] - 2 * saturation.generator_cost_slope("minimax", 0.5)) < 1e-12)
    return rows, claims, fig_path


def _window_stats(series, frac=0.1):
    """Mean and coefficient of variation of the first and last `frac` of a series (step 0 out)."""
    s = np.asarray(series[1:])
    k = max(2, int(round(frac * len(s))))
    return saturation.spread(s[:k]), saturation.spread(s[-k:])


def _frozen(out, quick):
    steps = D_STEPS_QUICK if quick else D_STEPS
    G = saturation.offset_generator(G_CENTER, spread=G_SPREAD, seed=SEED)
    runs = {key: saturation.train_d_against_frozen_g(G, DATA, steps=steps, noise=sigma,
                                                 d_hidden=D_HIDDEN, lr=D_LR, batch=BATCH,
                                                 record_every=RECORD_EVERY, seed=SEED)
            for key, sigma in (("plain", 0.0), ("noise", NOISE))}
    rng = np.random.default_rng(SEED)
    setup = (DATA.sample(400, rng), G(rng.standard_normal((400, 1))))
    fig_path = str(Path(out) / "frozen_generator.png")
    pplots.plot_frozen_generator(runs, f"sigma = {NOISE}", setup=setup, path=fig_path)

    plain, noisy = runs["plain"], runs["noise"]
    decay_mm = saturation.decay_orders(plain["grad_norm"]["minimax"])
    decay_ns = saturation.decay_orders(plain["grad_norm"]["nonsaturating"])
    decay_mm_noise = saturation.decay_orders(noisy["grad_norm"]["minimax"])
    early, late = _window_stats(plain["grad_norm"]["nonsaturating"])
    d_loss, d_err = float(plain["d_loss"][-1]), float(plain["d_error_rate"][-1])
    noisy_loss = float(np.median(noisy["d_loss"][-10:]))
    rows = [
        {"quantity": f"D's error (cross-entropy L_D) after {steps} D steps", "paper": "~0",
         "tinygan": f"{d_loss:.1e} (misclassified: {d_err:.0%})", "difference": f"{d_loss:.1e}"},
        {"quantity": f"minimax ||grad|| decay after {steps} D steps (orders of 10)",
         "paper": f"up to {PAPER_DECAY} (best case, 4000 steps)", "tinygan": round(decay_mm, 2),
         "difference": f"{decay_mm - PAPER_DECAY:+.2f}"},
        {"quantity": "non-saturating ||grad||: decay (orders of 10; < 0 = grows)",
         "paper": "does not decay, grows", "tinygan": round(decay_ns, 2),
         "difference": "agrees" if decay_ns < 0 else "DISAGREES"},
        {"quantity": "non-saturating ||grad||: mean, first -> last 10% of steps",
         "paper": "grows", "tinygan": f"{early['mean']:.3g} -> {late['mean']:.3g}",
         "difference": f"x{late['mean'] / early['mean']:.2f}"},
        {"quantity": "non-saturating ||grad||: coeff. of variation, first -> last 10%",
         "paper": "gets noisier", "tinygan": f"{early['cv']:.3f} -> {late['cv']:.3f}",
         "difference": "agrees" if late["cv"] > early["cv"] else "not seen here (see answer)"},
        {"quantity": f"with instance noise {NOISE}: minimax ||grad|| decay (orders)",
         "paper": "noise keeps it alive", "tinygan": round(decay_mm_noise, 2),
         "difference": "agrees" if decay_mm_noise < 0.5 else "DISAGREES"},
        {"quantity": f"with instance noise {NOISE}: D's error L_D at the end",
         "paper": "stays > 0 (supports overlap)", "tinygan": round(noisy_loss, 3),
         "difference": "agrees" if noisy_loss > 0.05 else "DISAGREES"},
    ]
    claims = {
        "d_error_reaches_zero": d_loss < (1e-2 if quick else 1e-3) and d_err == 0.0,
        "minimax_gradient_decays": decay_mm >= (2.0 if quick else MIN_DECAY),
        "nonsat_gradient_does_not_decay": decay_ns < 0,
        "nonsat_gradient_grows": late["mean"] > 1.5 * early["mean"],
        "noise_keeps_minimax_alive": decay_mm_noise < 0.5,
        "noise_keeps_d_imperfect": noisy_loss > 0.05,
    }
    numbers = {"steps": steps, "decay_mm": decay_mm, "early": early, "late": late,
               "decay_mm_noise": decay_mm_noise, "d_loss": d_loss}
    return rows, claims, fig_path, numbers


def _answer(n):
    return (
        "With D(x) = sigmoid(l(x)), every generator cost reaches G only through its slope with "
        "respect to the logit l, and that slope is a factor in G's whole gradient. The minimax cost "
        "log(1 - D(G(z))) has slope -D(G(z)): when D is confident that a sample is fake, D(G(z)) "
        "-> 0 and so does the gradient, however large the loss looks (the cost curve is flat exactly "
        "where G is bad). If the generator's samples lie on a low-dimensional set that does not "
        "touch the data, a discriminator can separate them perfectly, so this is what happens: with "
        f"G frozen, a fresh D drives its error to {n['d_loss']:.0e} and the minimax gradient "
        f"falls by {n['decay_mm']:.1f} orders of magnitude in {n['steps']} D steps (the paper: up "
        "to 5). The non-saturating cost -log D(G(z)) has slope -(1 - D) -> -1, so its gradient "
        f"does not vanish; here it grows from {n['early']['mean']:.3g} to {n['late']['mean']:.3g} "
        "as D's logit gets steeper. Arjovsky & Bottou also see it get noisier (their Thm 2.6: near "
        "the optimum its coordinates are Cauchy-like); in this clean 2-D toy D is smooth and the "
        f"spread falls instead (coefficient of variation {n['early']['cv']:.2f} -> "
        f"{n['late']['cv']:.2f}), so that part is not reproduced here. Instance noise (adding "
        "N(0, sigma^2) to everything D sees) makes the two distributions overlap, so no D is "
        "perfect and the minimax gradient stays alive. Note: Goodfellow's tutorial writes every "
        "cost with a factor 1/2 (J = 1/2 log(1 - D) is -0.347 at D = 0.5); tinygan's losses have "
        "no 1/2, so its minimax loss there is -0.693 and its slope is -D instead of -D/2."
    )


def run(quick=False, out=OUT):
    """Run both experiments; return question, answer, figures, table (paper vs tinygan), claims."""
    rows_a, claims_a, fig_a = _costs(out)
    rows_b, claims_b, fig_b, numbers = _frozen(out, quick)
    return {"question": QUESTION, "answer": _answer(numbers), "figures": [fig_a, fig_b],
            "table": rows_a + rows_b, "claims": {**claims_a, **claims_b}}


def main(argv=None):
    demo_main(run, QUESTION, OUT, f"{D_STEPS_QUICK} D steps, for tests", argv)


if __name__ == "__main__":
    main()
