"""Divergence, explained: which number of a step went NaN or inf first, and what to try.

The Trainer checks once per step that the step's row and everything it leaves behind (the
weights, the optimizers' state) are finite, and raises tinygan.gan.DivergenceError when
not, carrying what the step computed. `locate(error, trainer)` then walks all of it in the
order the step computed it, with an exact test (np.isfinite), and names the first array
that is not finite, so the message says where the divergence started, not where it ended
up; and it says what to try: a smaller value of a setting far beyond the networks' scale,
else the usual remedies. The command line calls it before it prints the error.

Each number can go non-finite while the others stay finite: a gradient whose square
overflows makes Adam's v inf while the weights stay finite (the update m / sqrt(v) is then
0, and the network silently stops learning); finite weights can give samples that overflow.
"""

import numpy as np

from tinygan.gan import ADVICE

__all__ = ["locate", "first_non_finite", "kind_of"]

OPTIMIZER_TITLES = {"adam": "Adam", "rmsprop": "RMSProp", "sgd": "SGD"}
EXTREME = 1e6   # a data scale, noise level or penalty weight this large is named in the advice

# The row's columns in words (a sum of finite squares can overflow).
ROW_NAMES = {"g_grad_norm": "the norm of G's gradient (its sum of squares overflowed)",
             "d_input_grad_norm": "the mean norm of D's gradient with respect to G's samples"}


def kind_of(x):
    """'NaN', 'inf' or 'NaN and inf': what the non-finite entries of x are."""
    x = np.asarray(x)
    nan, inf = bool(np.isnan(x).any()), bool(np.isinf(x).any())
    return "NaN and inf" if nan and inf else "NaN" if nan else "inf"


def first_non_finite(items):
    """What is the first entry of `items` that is not finite? A sentence, or None if all are.

    items: (description, value) pairs in the order a step computed them. A value is an
    array, a float, or a dict of named arrays (weights, gradients, an optimizer's slot). A
    description is a format string with {kind} (NaN, inf) and, for a dict, {key}:
    "D's gradient for D.{key} holds {kind}".
    """
    for description, value in items:
        arrays = value.items() if isinstance(value, dict) else [(None, value)]
        for key, array in arrays:
            if not np.isfinite(array).all():
                return description.format(key=key, kind=kind_of(array))
    return None


def _optimizer_items(opt, label, net):
    inner = getattr(opt, "inner", opt)      # an AveragedOptimizer wraps the real one
    title = OPTIMIZER_TITLES.get(inner.name, inner.name)
    items = [(f"{title} state {label}.{slot} of {net}.{{key}} holds {{kind}}", table)
             for slot, table in inner.state.items()]
    if inner is not opt:
        items.append((f"the average of G's weights ({label}.ema of {net}.{{key}}) holds {{kind}}",
                      opt.average))
    return items


def _state_items(trainer):
    """Everything a checkpoint holds that can be NaN or inf: weights, optimizers' state."""
    return [("G's weights G.{key} hold {kind}", trainer.G.params),
            ("D's weights D.{key} hold {kind}", trainer.D.params),
            *_optimizer_items(trainer.opt_g, "opt_g", "G"),
            *_optimizer_items(trainer.opt_d, "opt_d", "D")]


def _step_items(trainer, values):
    """What the step computed and left behind, in the order it computed it."""
    d_value, d_info = values["d"]
    g_value, g_grads, g_info = values["g"]
    return [
        ("the real samples D sees hold {kind}", d_info["real_seen"]),
        ("G's samples hold {kind}", d_info["fake_seen"]),
        ("D's output on the real samples holds {kind}", d_info["real_logits"]),
        ("D's output on G's samples holds {kind}", d_info["fake_logits"]),
        ("D's loss is {kind}", float(d_value)),
        ("D's gradient for D.{key} holds {kind}", d_info["grads"]),
        *_optimizer_items(trainer.opt_d, "opt_d", "D"),
        ("D's weights D.{key} hold {kind}", trainer.D.params),
        ("G's samples hold {kind}", g_info["x_fake"]),
        ("D's output on G's samples holds {kind}", g_info["fake_logits"]),
        ("G's loss is {kind}", float(g_value)),
        ("D's gradient with respect to G's samples holds {kind}", g_info["dx"]),
        ("G's gradient for G.{key} holds {kind}", g_grads),
        *_optimizer_items(trainer.opt_g, "opt_g", "G"),
        ("G's weights G.{key} hold {kind}", trainer.G.params),
        *[(f"{ROW_NAMES.get(name, name)} is {{kind}}", float(value))
          for name, value in values["row"].items()],
    ]


def advice(trainer, real=None):
    """What to try: a smaller value of the setting that is far beyond the networks' scale
    (the data, instance noise, a penalty weight), else the usual remedies.

    The networks are initialised for inputs and outputs of order 1 (He/Glorot) and every
    data set lives within |x| <= 5; a value of EXTREME (1e6) or more is none of that.
    """
    c, sigma = trainer.config, trainer.noise_sigma()
    scales = [("The instance noise std", sigma), ("The gp weight", c.gp), ("The r1 weight", c.r1),
              ("The r2 weight", c.r2)]
    if real is not None and sigma < EXTREME:     # else the noise dominates what D sees
        if not np.isfinite(real).all():
            return (f"The data set's values do not fit in {trainer.dtype.name}: use dtype float64 "
                    f"or rescale the data.")
        scales.append(("The data's scale max |x|", float(np.max(np.abs(real)))))
    name, value = max(scales, key=lambda s: s[1])
    if value >= EXTREME:
        return (f"{name}, {value:.3g}, is far beyond the order-1 scale these networks work at; "
                f"make it smaller.")
    return ADVICE


def locate(error, trainer):
    """The same DivergenceError, its message naming the first non-finite array and its advice.

    error: what trainer.train(), train_step() or check_finite() raised. Where the step's own
    values came with it, they are walked in the order the step computed them; else the
    trainer's weights and optimizers' state.
    """
    values = error.values
    real = None
    if values is not None:
        real = values["d"][1]["real_seen"]
        what = first_non_finite(_step_items(trainer, values))
    else:
        what = first_non_finite(_state_items(trainer))
        if what is not None:
            what += " in the state this training starts from" if error.step == trainer.step else ""
    if what is None:
        return error
    located = type(error)(error.step, what, advice(trainer, real), values)
    located.__dict__.update({k: v for k, v in error.__dict__.items() if k not in located.__dict__})
    return located
