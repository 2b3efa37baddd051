"""Exercise 7: one discriminator step and one generator step.

Learning goal: put networks and losses together into the two gradient computations of GAN
training, and see that the generator learns only through dx, the discriminator's gradient
with respect to its input.

    D step:  x_real, x_fake --D--> real logits, fake logits --loss--> dlogits --D.backward--> D's grads
    G step:  z --G--> x_fake --D--> fake logits --loss.g--> dlogits --D.backward--> dx
             --G.backward--> G's grads            (D's own gradients are not needed here)

The tools (tinygan's MLP and loss objects, already built for you by the caller):
    y, cache = net.forward(x)                   y: (N, out)
    dx, grads = net.backward(dy, cache)         grads: {"W1": ..., "b1": ...}, like net.params
        options: need_dx=False skips dx, need_params=False skips grads (grads is then {})
    loss.d_real(real_logits) -> (value, dreal_logits)   D's loss on the real batch
    loss.d_fake(fake_logits) -> (value, dfake_logits)   D's loss on the fake batch
    loss.g(fake_logits) -> (value, {"fake_logits": dfake_logits})   G's loss
Each loss value is a mean over its batch and each gradient already includes that 1/N.

D's loss is the sum of its two parts: L_D = loss.d_real(D(x_real)) + loss.d_fake(D(x_fake)).
G's loss is L_G = loss.g(D(G(z))). Neither function may change the networks' parameters
(the optimizer does that afterwards: opt.step(D.params, grads)).

Check your work:  tinygan exercise check 7     (or: pytest exercises/ -k ex07)
"""

import numpy as np  # noqa: F401  (you may need it)


def d_gradients(D, loss, x_real, x_fake):
    """The discriminator's loss on a real and a fake batch, and its parameter gradients.

    D: tinygan.mlp.MLP with one output (a logit or critic score); loss: a tinygan loss object;
    x_real, x_fake: (N, dim).
    Returns (value, grads): value = L_D (a float), grads = dL_D/dD.params, a dict with
    D.params' keys and shapes.
    """
    # TODO: forward both batches, take each loss part's gradient, backprop through D.
    raise NotImplementedError


def g_gradients(G, D, loss, z):
    """The generator's loss and its parameter gradients, backpropagated through D.

    G: tinygan.mlp.MLP from z_dim to dim; D: as in d_gradients; z: (N, z_dim).
    Returns (value, grads): value = L_G (a float), grads = dL_G/dG.params, a dict with
    G.params' keys and shapes.
    """
    # TODO: z -> G -> D -> loss.g, then back through D (input gradient only) and G.
    raise NotImplementedError
