"""Write the notebooks in this folder, outputs stripped: python notebooks/make_notebooks.py

One notebook per question of the tour (the demos in tinygan/demos) and one for the first
exercise. Edit the text here, rerun, and commit the .ipynb files; tests/test_notebooks.py runs
every one of them top to bottom.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
%matplotlib inline
from IPython.display import Image, Markdown, display

from tinygan import Trainer, Config
from tinygan.questions import registry
from tinygan.questions.common import checks_text, format_table
from tinygan.questions.landscape import snapshot
from tinygan.plots import plot_curves, plot_snapshot
from tinygan.app.progress import Progress

# The small recipe of these notebooks: 2,000 steps of 64-unit networks, a few seconds on one
# core; instance noise annealed over the first 800 steps; no running average of G's weights
# (ema=0), which pays off only in longer runs. Config() alone is the full recipe (14,000 steps).
SMALL = Config(data="ring", steps=2000, g_hidden=(64, 64), d_hidden=(64, 64), batch_size=128,
               g_lr=2e-3, d_lr=2e-3, noise=0.2, noise_anneal_steps=800, ema=0.0,
               eval_every=200, seed=0)"""

DEMO = """\
# The demo at its quick size (one seed, fewer steps: a look, not the evidence; for that,
# run `tinygan demo {name}` in a terminal, three seeds and the full budget).
res = registry.load("{name}").run(quick=True, out="runs/{name}")
print(res["question"], "\\n")
print("Finding:", res["finding"])"""

FIGURES = """\
for path, caption in zip(res["figures"], res["captions"]):
    display(Image(filename=path))
    display(Markdown(caption))"""

TABLE = """\
print(format_table(res["table"]), "\\n")
print(checks_text(res["checks"]))"""

HANDS_ON = "## Your turn\n\nChange the value marked `# <- change this` and rerun the cell. "

QUESTIONS = [
    dict(
        file="q1_perfect_discriminator.ipynb", name="perfect_discriminator", q="Q1",
        title="What happens to the generator when the discriminator is perfect?",
        intro="""\
Goodfellow's original cost for the generator is log(1 - D(G(z))): G tries to make D wrong.
When D wins, D(G(z)) is near 0, and that cost is flat there: the gradient G receives vanishes
just when G needs it most. The non-saturating cost -log D(G(z)) has the same fixed point but a
steep slope where D is confident. Arjovsky & Bottou proved the vanishing for a D that
separates the two distributions perfectly, and bounded the gradient.

**What to look at:** the two costs as a function of D(G(z)) and their slopes; the gradient
reaching a frozen generator as D trains, falling by orders of magnitude for log(1 - D) but not
for -log D; instance noise keeping it alive.""",
        train="""\
# A small GAN on the ring of 8 Gaussians with Goodfellow's original (minimax) cost.
# G's loss curve, panel (a), and D's accuracy, panel (b), tell you who is winning.
trainer = Trainer(SMALL, loss="minimax")
trainer.train(callback=Progress())
fig = plot_curves(trainer.history, trainer.evaluations, loss=trainer.config.loss)""",
        hands_on_md="Try `\"nonsaturating\"` (the -log D cost) and `noise=0.0` (no instance noise): "
                    "which one still finds the modes, and what does G's gradient do?",
        hands_on="""\
LOSS = "minimax"      # <- change this: "minimax" or "nonsaturating"
NOISE = 0.2           # <- and this: instance noise on D's inputs (0 turns it off)
trainer = Trainer(SMALL, loss=LOSS, noise=NOISE)
trainer.train(callback=Progress())
print({k: trainer.evaluations[-1][k] for k in ("modes", "n_modes", "high_quality")})
fig = plot_snapshot(snapshot(trainer))"""),
    dict(
        file="q2_js_vs_wasserstein.ipynb", name="js_vs_wasserstein", q="Q2",
        title="Why does Jensen-Shannon saturate, and what do noise and the Wasserstein distance do?",
        intro="""\
WGAN's Example 1: the data is a vertical line at x = 0, the generator's samples a line at
x = theta. For every theta != 0 the supports are disjoint, and the Jensen-Shannon divergence
is log 2 whatever the distance: flat, so it gives no direction. The Wasserstein distance is
|theta|: its slope is 1 at every distance. Instance noise blurs both lines, and JS becomes a
smooth function of theta again.

**What to look at:** the JS read from trained discriminators, flat without noise and a valley
with it; the WGAN-GP critic's estimate tracking |theta|; the gradient each hands a generator;
then three GANs started 3 units away: who gets home.""",
        train="""\
# A WGAN-GP on the parallel lines, its generator started 3 units right of the data line, as
# in the demo: G's last layer shrunk so its samples form a small patch, then shifted.
import numpy as np


def far_gan(loss, gp, steps=200, start=(3.0, 0.5), seed=0):
    trainer = Trainer(Config(data="parallel_lines", standardize=False, loss=loss, gp=gp, z_dim=1, g_hidden=(32, 32),
                             d_hidden=(64, 64), batch_size=64, d_steps=5, steps=steps,
                             noise=0.0, ema=0.0, eval_every=0, seed=seed))
    last = trainer.G.n_layers
    trainer.G.params[f"W{last}"] *= 0.3
    trainer.G.params[f"b{last}"] += np.asarray(start, dtype=trainer.dtype)
    return trainer


VIEW = np.array([[-0.6, 3.8], [-0.4, 1.4]])      # the drawn region: x_1 and x_2 limits
trainer = far_gan("wasserstein", gp=10.0)
fig = plot_snapshot(snapshot(trainer, limits=VIEW))     # before: arrows point home
trainer.train(callback=Progress())
fig = plot_snapshot(snapshot(trainer, limits=VIEW))     # after 200 steps""",
        hands_on_md="Swap the critic for a discriminator: `(\"minimax\", 0.0)` or "
                    "`(\"nonsaturating\", 0.0)`. The background becomes D's probability; how "
                    "long are G's arrows now, and does G get home?",
        hands_on="""\
LOSS, GP = "minimax", 0.0     # <- change this: ("nonsaturating", 0.0), ("wasserstein", 10.0)
trainer = far_gan(LOSS, GP)
trainer.train(callback=Progress())
print(f"mean distance of G's samples to the data line: {np.abs(trainer.sample(1000)[:, 0]).mean():.2f}")
fig = plot_snapshot(snapshot(trainer, limits=VIEW))"""),
    dict(
        file="q3_mode_collapse.ipynb", name="mode_collapse", q="Q3",
        title="Why does the generator collapse onto a few modes, and what helps?",
        intro="""\
On a ring of 8 Gaussians a GAN often covers only some of them, its mass hopping from mode to
mode. D judges one sample at a time, so it cannot see that all of G's samples sit in the same
place; G goes wherever D says 'real' today. The demo takes one GAN that collapses (the classic
GAN of the papers' tables) and turns one knob at a time: packing (PacGAN: D judges several
samples at once), an unrolled D (G looks a few of D's steps ahead), WGAN-GP, an R1 penalty,
instance noise, and finally tinygan's default recipe, every row at the same CPU time. Modes
are counted the PacGAN way: 2,500 samples, a mode is captured when a sample lands within 3
standard deviations of it, and the high-quality share is the fraction of samples that do.

**What to look at:** the base's modes and high-quality share over training beside each
remedy's; the base's samples (collapsed) beside the best fix's.""",
        train="""\
# The demo's base on the ring, seed 0: 1,500 steps, a few seconds. Watch the mode count
# at each evaluation: it drops and climbs as the mass moves between modes.
from tinygan.questions import mode_collapse as q3

base = Trainer(q3.config_for("base", "ring", seed=0))
base.train(callback=Progress())
print("modes at each evaluation:", [e["modes"] for e in base.evaluations])
print({k: base.evaluations[-1][k] for k in ("modes", "n_modes", "high_quality")})
fig = plot_snapshot(snapshot(base))""",
        hands_on_md="Pick another row of the experiment (`ROW`): one remedy on the same base, at "
                    "the same CPU time, or the default recipe. Compare its modes and its high-quality "
                    "share with the base above; then try another `SEED`.",
        hands_on="""\
ROW = "default"   # <- change this: "packing", "unrolling", "wgan_gp", "r1", "instance_noise", "default", "base"
SEED = 0          # <- and this
trainer = Trainer(q3.config_for(ROW, "ring", seed=SEED))
trainer.train(callback=Progress())
for name, t in (("base, seed 0", base), (f"{ROW}, seed {SEED}", trainer)):
    e = t.evaluations[-1]
    print(f"{name:24s} {t.config.steps:5d} G steps: {e['modes']} of {e['n_modes']} modes, "
          f"{100 * e['high_quality']:.0f} % high quality")
fig = plot_snapshot(snapshot(trainer))"""),
    dict(
        file="q4_nash_equilibrium.ipynb", name="nash_equilibrium", q="Q4",
        title="Does gradient descent find the Nash equilibrium of a GAN?",
        intro="""\
A GAN is a game, not a minimisation. On the simplest game, f(x, y) = x y (one player
minimises, the other maximises, equilibrium at 0), simultaneous gradient steps spiral
outwards, alternating steps circle forever, and extragradient or optimistic steps spiral in.
Mescheder et al.'s Dirac-GAN shows the same on a one-parameter GAN, and that a gradient
penalty (R1) makes the equilibrium attract.

**What to look at:** the radius of each method's path against the step, beside its closed
form; the Dirac-GAN's vector fields; the eigenvalues of each update; a real 1-D GAN.""",
        train="""\
# The bilinear game x * y yourself: four ways of taking gradient steps from (1, 1),
# each radius beside its closed form (tinygan/questions/games.py derives them).
import numpy as np

from tinygan.questions import games
from tinygan.plots.games import plot_bilinear


def bilinear_figure(eta, steps=200):
    paths = {m: games.bilinear(m, 1.0, 1.0, eta, steps)
             for m in ("simultaneous", "alternating", "extragradient", "optimistic")}
    r0, t = np.sqrt(2.0), np.arange(steps + 1)
    closed = {"simultaneous": games.simultaneous_radius(r0, eta, t),
              "extragradient": r0 * games.extragradient_factor(eta) ** t}
    return plot_bilinear(paths, eta, closed_forms=closed)


fig = bilinear_figure(0.1)""",
        hands_on_md="Make the step bigger or smaller (`ETA`). Which methods still converge? "
                    "Then train a small GAN with a zero-centred gradient penalty on real data "
                    "(`R1`) and without.",
        hands_on="""\
ETA = 0.1     # <- change this: 0.01, 0.5, 1.0
fig = bilinear_figure(ETA)

R1 = 1.0      # <- and this: the R1 penalty on D (0 turns it off)
trainer = Trainer(SMALL, r1=R1)
trainer.train(callback=Progress())
print({k: trainer.evaluations[-1][k] for k in ("modes", "n_modes", "high_quality", "sliced_w")})"""),
    dict(
        file="q5_loss_curves.ipynb", name="loss_curves", q="Q5",
        title="What do the loss curves tell you, and what don't they?",
        intro="""\
A GAN's losses are the score of a game, not a distance to the goal: a healthy run and a
collapsed one can draw the same curves, and D's loss sitting at log 2 says D is confused, not
that G is good. A Wasserstein critic's gap is different: it estimates a distance, and it
falls as the samples improve.

**What to look at:** a healthy and a collapsing run side by side, losses above and modes
below; a run whose losses look flat while its quality is poor; the critic's estimate against
the measured distance.""",
        train="""\
# Losses (top panels) over what they hide (modes, quality, distance: bottom panels).
trainer = Trainer(SMALL)
trainer.train(callback=Progress())
fig = plot_curves(trainer.history, trainer.evaluations, loss=trainer.config.loss)""",
        hands_on_md="Give D a ten times larger learning rate, or switch to `\"wasserstein\"` "
                    "with `GP = 10.0`. Do the loss curves tell you which run is better?",
        hands_on="""\
LOSS, GP = "nonsaturating", 0.0     # <- change this: ("wasserstein", 10.0), ("least_squares", 0.0)
D_LR = 2e-3                         # <- and this: 2e-2
trainer = Trainer(SMALL, loss=LOSS, gp=GP, d_lr=D_LR)
trainer.train(callback=Progress())
fig = plot_curves(trainer.history, trainer.evaluations, loss=trainer.config.loss)"""),
    dict(
        file="q6_why_d_sees_g.ipynb", name="why_d_sees_g", q="Q6",
        title="What does the discriminator see, and how does the generator learn from it?",
        intro="""\
The generator never sees the data. It learns only through dx, the gradient of D's output
with respect to its input, passed back through its own layers: each generated sample is
pushed along D's landscape. Where D is flat, the sample does not move; where D's boundary is
sharp, it moves a lot.

**What to look at:** D's output as a background, the real data, G's samples and the arrow
each is pushed along; how those arrows change as D learns.""",
        train="""\
# D's landscape and G's arrows after 200 steps; the next cell trains on to 2,000.
trainer = Trainer(SMALL)
trainer.train(200, callback=Progress(trainer.step + 200))
fig = plot_snapshot(snapshot(trainer))""",
        hands_on_md="Train on, then try another data set (`tinygan list` shows them; "
                    "`\"grid\"` and `\"spiral\"` are 2-D) or no instance noise.",
        hands_on="""\
trainer.train(callback=Progress())           # the rest: 2,000 steps in all
fig = plot_snapshot(snapshot(trainer))

DATA, NOISE = "ring", 0.2              # <- change this: another 2-D data set, or NOISE = 0.0
other = Trainer(SMALL, data=DATA, noise=NOISE)
other.train(callback=Progress())
fig = plot_snapshot(snapshot(other))"""),
]


def question_notebook(q):
    cells = [
        new_markdown_cell(f"# {q['q']}: {q['title']}\n\n{q['intro']}\n\n"
                          f"The demo behind this notebook is `tinygan/questions/{q['name']}.py`; "
                          f"`tinygan demo {q['name']}` runs it at full size, `tinygan tour` runs "
                          "all six and writes one HTML report."),
        new_code_cell(SETUP),
        new_markdown_cell("## The demo, quick\n\nA few seconds: one seed and a small budget, "
                          "so the claims may not all hold here; the full run is the evidence."),
        new_code_cell(DEMO.format(name=q["name"])),
        new_code_cell(FIGURES),
        new_markdown_cell("The numbers, beside the papers' where a paper printed one, and "
                          "which claims held (a claim can fail; a self-check is tinygan "
                          "checking its own arithmetic):"),
        new_code_cell(TABLE),
        new_markdown_cell("## Train one yourself\n\n`Trainer.train(callback=Progress())` shows a "
                          "progress line; every figure function returns a matplotlib Figure, "
                          "drawn inline. `SMALL` (defined above) is a recipe of a few seconds; "
                          "`Trainer(SMALL, loss=...)` changes one setting of it."),
        new_code_cell(q["train"]),
        new_markdown_cell(HANDS_ON + q["hands_on_md"]),
        new_code_cell(q["hands_on"]),
    ]
    return new_notebook(cells=cells, metadata=KERNEL)


EXERCISE = [
    new_markdown_cell("""\
# Exercise 1: the linear layer, forward and backward

Your first exercise: the backward pass of y = x @ W + b, derived with the chain rule and
checked against finite differences, the way every layer of tinygan is checked. The ten
exercises ship inside the package; this notebook writes them into a folder `exercises/` next
to it, shows you what to fill in, and runs the checker.

Nothing here gives the answer away: you write it in `exercises/ex01_linear_backward.py`."""),
    new_code_cell("""\
from pathlib import Path

from tinygan.exercises.command import cmd_init
from tinygan.exercises.core import format_results
from tinygan.exercises.registry import check_file

folder = Path("exercises")
exercise = folder / "ex01_linear_backward.py"
if exercise.exists():
    print(f"{folder}/ is already there: your work is kept")
else:
    # the same as `tinygan exercise init exercises` in a terminal
    class Args:
        dir, force = str(folder), False
    cmd_init(Args())"""),
    new_markdown_cell("""\
## What to fill in

The file's docstring has the math; below it are two functions with `TODO`s. Read the
docstring first (the next cell prints the whole file)."""),
    new_code_cell('print(exercise.read_text())'),
    new_markdown_cell("""\
Open `exercises/ex01_linear_backward.py` in an editor (in Jupyter: File > Open), replace each
`raise NotImplementedError` with your code, save, and run the next cell.

## Check it

The checker runs your file in a process of its own, calls your functions on inputs drawn by
Hypothesis, and compares the answers with finite differences and with tinygan's own layer. On
the untouched template it says the functions are not implemented yet: that is expected. From
a terminal the same check is `tinygan exercise check 1` (or, in a notebook cell,
`!tinygan exercise check 1 --dir exercises`)."""),
    new_code_cell("""\
report = check_file(1, exercise)
print(format_results(report))"""),
    new_markdown_cell("""\
## Your turn: try your layer on a small example

Once your functions run, compare one entry of your dW with a difference quotient by hand:
nudge W[0, 0] by h and watch how L = sum(y * dy) changes. (Until then this cell says so.)"""),
    new_code_cell("""\
import importlib.util

import numpy as np

spec = importlib.util.spec_from_file_location("ex01", exercise)
ex01 = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ex01)

rng = np.random.default_rng(0)
x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
dy = rng.standard_normal((4, 2))
h = 1e-6       # <- change this: how small can h get before rounding takes over?
try:
    y, cache = ex01.linear_forward(x, W, b)
    dx, grads = ex01.linear_backward(dy, cache)
    W_plus = W.copy()
    W_plus[0, 0] += h
    quotient = (np.sum(ex01.linear_forward(x, W_plus, b)[0] * dy) - np.sum(y * dy)) / h
    print(f"your dW[0, 0] = {grads['W'][0, 0]:.6f}   difference quotient = {quotient:.6f}")
except NotImplementedError:
    print("not implemented yet: fill in the TODOs in", exercise)"""),
]

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
          "language_info": {"name": "python"}}


def main():
    books = {q["file"]: question_notebook(q) for q in QUESTIONS}
    books["ex01_linear_layer.ipynb"] = new_notebook(cells=EXERCISE, metadata=KERNEL)
    for name, nb in books.items():
        for i, cell in enumerate(nb.cells):
            cell.id = f"{Path(name).stem[:4]}-{i:02d}"     # stable ids: regenerating changes nothing
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
