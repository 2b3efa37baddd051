"""Exercise 11: the relativistic pairing loss (RpGAN), both networks' gradients by hand.

Learning goal: write a loss in which every fake is judged against a real partner, derive its
two gradients, and see which of them the generator can use: D(real) is in G's loss, yet no
gradient flows from it into G.

The discriminator outputs a raw score l(x) per sample (no sigmoid: only differences count).
Pair the batches one to one, (x_real[i], x_fake[i]) for i = 1..N, with r_i = l(x_real[i]),
f_i = l(x_fake[i]), and softplus(x) = log(1 + e^x) (Jolicoeur-Martineau 2019; the R3GAN
baseline of Huang et al. 2024):

    D minimises  L_D = (1/N) sum_i softplus(f_i - r_i)    a fake that outscores its partner costs D
    G minimises  L_G = (1/N) sum_i softplus(r_i - f_i)    G wants its fake above its partner

Derive dL_D/df_i, dL_D/dr_i and dL_G/df_i with sigma(x) = 1/(1 + e^-x) = softplus'(x). Then
look at dL_G/df_i when D is sure (f_i far below r_i): does G's gradient vanish, as the minimax
loss's does (exercise 4)?

The term r_i in G's loss: the real samples are data, not G's output, so no parameter of G
changes r_i. Its value sets the slope G feels on f_i, but its own gradient goes nowhere in G's
step: the only path into G runs through the fakes.

Both losses must be finite and exact for logits up to |l| = 1e4: use the stable softplus and
sigmoid of exercise 3 (np.logaddexp(0, x)).

Check your work:  tinygan exercise check 11     (or: pytest exercises/ -k ex11)
"""

import numpy as np  # noqa: F401  (you will need it)


def rpgan_d(real_logits, fake_logits):
    """D's pairing loss L_D = (1/N) sum_i softplus(f_i - r_i) and its two gradients.

    real_logits, fake_logits: (N, 1), D's scores on paired real and generated samples.
    Returns (value, {"real_logits": dL_D/dreal_logits, "fake_logits": dL_D/dfake_logits});
    value is a float, each gradient has its input's shape. The inputs are not modified.
    """
    # TODO
    raise NotImplementedError


def rpgan_g(fake_logits, real_logits):
    """G's pairing loss L_G = (1/N) sum_i softplus(r_i - f_i) and its gradient in the fakes.

    fake_logits, real_logits: (N, 1). Returns (value, {"fake_logits": dL_G/dfake_logits}).
    """
    # TODO
    raise NotImplementedError


def generator_signal(D, x_real, x_fake):
    """dL_G/dx_fake, (N, dim): the gradient the generator receives through D.

    D: a tinygan MLP with one output; D.forward(x) -> (logits (N, 1), cache) and
    D.backward(dlogits, cache) -> (dx, grads), where dx = dLoss/dx for that batch.
    x_real, x_fake: (N, dim), paired row by row. Neither D nor the batches are modified.
    """
    # TODO: forward both batches, rpgan_g on the logits, backward to the input that G made.
    raise NotImplementedError
