"""One discriminator step and one generator step: the two calls every training loop makes.

    D step:  z -G-> x_fake;  [x_real; x_fake] -D-> logits -loss.d-> dlogits -D.backward-> D grads
    G step:  z -G-> x_fake -D-> fake_logits -loss.g-> dlogits -D.backward-> dx -G.backward-> G grads

The generator learns only through dx = dLoss/dx_fake, the discriminator's gradient with
respect to its input; D's own parameter gradients are never computed in the G step.
Both take the remedies that change what D sees (instance noise, packing), and the D step
the gradient penalties, so the Trainer (gan.py), the unrolled G step (unrolled.py), every
experiment in tinygan/questions and the exercises all call these two and nothing else.
"""

import numpy as np

from tinygan import penalties

__all__ = ["d_gradients", "g_gradients"]


def d_gradients(D, loss, x_real, x_fake, d_params=None, pack=1, noise=0.0, rng=None,
                gp=0.0, r1=0.0, r2=0.0):
    """The discriminator's loss on a real and a fake batch, and its parameter gradients.

        x_real, x_fake (N, dim) --noise, pack--> (N/m, m dim) each --D--> real, fake logits
        --loss.d--> value, dlogits --D.backward--> D's gradients (+ the gradient penalties)

    The remedies that act on what D sees, each off by default:
      noise > 0     instance noise: both batches get x + N(0, noise^2 I), drawn from rng
      pack = m > 1  PacGAN: m consecutive samples become one input of D (D has m x dim inputs)
      gp, r1, r2    the WGAN-GP, R1 and R2 gradient penalties with these weights (penalties.py),
                    at the points D saw (after noise and packing); gp draws its interpolation
                    weights from rng
    Both batches go through D in one forward pass ([x_real; x_fake] stacked), so every layer
    does one matrix product instead of two. d_params overrides D's own parameters (an unrolled
    copy). Returns (value, grads, info): value is the loss without the penalties, info holds
    the real and fake parts of the loss ("loss_real", "loss_fake"), the logits, and the two
    batches as D saw them, after noise and packing ("real_seen", "fake_seen").
    """
    x_real = penalties.pack(penalties.add_instance_noise(x_real, noise, rng), pack)
    x_fake = penalties.pack(penalties.add_instance_noise(x_fake, noise, rng), pack)
    n = x_real.shape[0]
    logits, cache = D.forward(np.concatenate([x_real, x_fake]), d_params)
    real_logits, fake_logits = logits[:n], logits[n:]
    value, dlogits, parts = loss.d(real_logits, fake_logits, parts=True)
    _, grads = D.backward(np.concatenate([dlogits["real_logits"], dlogits["fake_logits"]]), cache,
                          need_dx=False)
    for kind, weight in (("wgan-gp", gp), ("r1", r1), ("r2", r2)):
        if weight:
            _, extra, _ = penalties.gradient_penalty(D, kind, weight, x_real, x_fake, rng, d_params)
            for key in grads:
                grads[key] += extra[key]
    info = {"loss_real": parts["real_logits"], "loss_fake": parts["fake_logits"],
            "real_logits": real_logits, "fake_logits": fake_logits,
            "real_seen": x_real, "fake_seen": x_fake}
    return value, grads, info


def g_gradients(G, D, loss, z, x_real=None, d_params=None, pack=1, noise=0.0, rng=None, g_params=None):
    """The generator's loss and its parameter gradients, backpropagated through D.

        z --G--> x_fake --noise, pack--> --D--> fake logits --loss.g--> dlogits
          --D.backward--> dx --unpack--> --G.backward--> G's gradients

    x_real (N, dim): a real batch, read where G's loss compares each fake with a real
    partner (loss.pairs: RpGAN) and ignored otherwise (None is fine there, and nothing is
    drawn for it). Its logits are a constant for G: D.backward runs through the fake
    logits alone, since no parameter of G reaches D(x_real).
    The same remedies as d_gradients, so G is judged on what D was trained to judge:
    noise > 0 adds instance noise N(0, noise^2 I) to the samples D sees (drawn from rng,
    fakes first); pack = m > 1 joins m consecutive samples into one input of D. Both are
    undone on the way back: the noise adds nothing to the gradient, the packing is a reshape.
    g_params / d_params override G's / D's own parameters (the averaged generator, a copy
    of D advanced a few steps).
    Returns (value, grads, info): info holds x_fake, the fake logits and dx (N, data dim),
    D's gradient with respect to the generated samples (the only signal G ever receives),
    and for a pairing loss the real logits.
    """
    x_fake, g_cache = G.forward(z, g_params)
    x_seen = penalties.pack(penalties.add_instance_noise(x_fake, noise, rng), pack)
    logits, d_cache = D.forward(x_seen, d_params)
    info = {"x_fake": x_fake, "fake_logits": logits}
    if getattr(loss, "pairs", False):
        if x_real is None:
            raise ValueError(f"the {loss.name} loss compares each fake with a real sample: "
                             f"g_gradients needs x_real, a real batch of z's size")
        info["real_logits"] = D(penalties.pack(penalties.add_instance_noise(x_real, noise, rng), pack),
                                d_params)
        value, dlogits = loss.g(logits, info["real_logits"])
    else:
        value, dlogits = loss.g(logits)
    dx, _ = D.backward(dlogits["fake_logits"], d_cache, need_params=False)
    info["dx"] = dx = penalties.unpack(dx, pack, x_fake.shape[1])
    _, grads = G.backward(dx, g_cache, need_dx=False)
    return value, grads, info
