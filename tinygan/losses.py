"""GAN loss families, chosen by name.

A discriminator outputs one number per sample, l(x): a logit (D(x) = sigma(l)) for the
classic, least-squares and hinge losses, a critic score for Wasserstein. Every family gives

    d_real(real_logits)  -> (value, dreal_logits)   D's loss on real samples
    d_fake(fake_logits)  -> (value, dfake_logits)   D's loss on generated samples
    d(real, fake)        -> (value, {"real_logits": ..., "fake_logits": ...})
                            (parts=True adds the two terms of the value, keyed the same way)
    g(fake_logits, real_logits=None) -> (value, {"fake_logits": ...})   the generator's loss
                            (real_logits is read by a pairing loss, `pairs` True, and
                            ignored by the others)

Logits may be any array-like of real numbers; integers are taken as float64 (so the gradients
are never truncated to an integer dtype). Values are means over the batch (N = logits.size),
and each gradient has the shape of its input (and its float dtype). Gradients
come back keyed by the input's name, never as a positional pair: swapping the real and fake
gradients is the classic bug in GAN code. Everything is written with softplus
(log(1 + e^x) = np.logaddexp(0, x)) and sigmoid in stable form, so values and gradients are
finite, and correct, for logits of any size: -log sigma(l) = softplus(-l).

One-sided label smoothing (Salimans et al. 2016) replaces the real target 1 by 1 - smooth;
the fake target stays 0.
"""

import numpy as np

from tinygan.ops import sigmoid, softplus


def _as_logits(logits, what):
    """`logits` as a float array of shape (N,) or (N, 1), N >= 1; else a ValueError saying why.

    Any array-like of real numbers is accepted (a list, a tuple, an integer array): integers
    and booleans become float64, since a gradient like Wasserstein's -1/N would be truncated
    to 0 in an integer array. Float arrays come back as they are (float32 stays float32).
    """
    try:
        arr = np.asarray(logits)
    except (TypeError, ValueError) as err:      # ragged nested lists, for one
        raise ValueError(f"{what} must be an array of real numbers of shape (N,) or (N, 1), "
                         f"got a {type(logits).__name__} NumPy cannot read as one ({err})") from None
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise ValueError(f"{what} must be an array of real numbers of shape (N,) or (N, 1), "
                         f"got {type(logits).__name__} of dtype {arr.dtype}")
    if arr.ndim not in (1, 2) or (arr.ndim == 2 and arr.shape[1] != 1) or arr.size == 0:
        raise ValueError(f"{what} must have shape (N,) or (N, 1) with N >= 1, got {arr.shape}")
    return arr


class GANLoss:
    """Base class: d() is d_real() + d_fake(); subclasses write the three terms."""

    name = "base"
    uses_sigmoid = True         # D(x) = sigma(l); False where D's output is a raw score
    threshold = 0.0             # D calls x real when its output is above this
    supports_smoothing = True   # False where there is no real label to smooth
    pairs = False               # True where G's loss reads D(real) too: g needs real_logits

    def __init__(self, smooth=0.0):
        if not 0.0 <= smooth < 1.0:
            raise ValueError(f"label smoothing must be in [0, 1), got {smooth}")
        if smooth and not self.supports_smoothing:
            raise ValueError(f"the {self.name} loss has no labels to smooth; use smooth=0")
        self.smooth = float(smooth)

    def __repr__(self):
        return f"{type(self).__name__}(smooth={self.smooth})" if self.smooth else f"{type(self).__name__}()"

    def d(self, real_logits, fake_logits, parts=False):
        """D's loss on a real and a fake batch -> (value, grads keyed by input name).

        With parts=True also the two terms of the value, keyed the same way:
        (value, grads, {"real_logits": loss on the real batch, "fake_logits": on the fake}).
        """
        vr, dr = self.d_real(real_logits)
        vf, df = self.d_fake(fake_logits)
        grads = {"real_logits": dr, "fake_logits": df}
        if parts:
            return vr + vf, grads, {"real_logits": vr, "fake_logits": vf}
        return vr + vf, grads

    def g(self, fake_logits, real_logits=None):
        """G's loss on D's logits for generated samples -> (value, {"fake_logits": grad})."""
        value, grad = self._g(_as_logits(fake_logits, "fake_logits"))
        return value, {"fake_logits": grad}

    def d_real(self, real_logits):
        return self._d_real(_as_logits(real_logits, "real_logits"))

    def d_fake(self, fake_logits):
        return self._d_fake(_as_logits(fake_logits, "fake_logits"))


class _BCEDiscriminator(GANLoss):
    """The original GAN discriminator: binary cross-entropy on D(x) = sigma(l).

    real: -[t log sigma(l) + (1 - t) log(1 - sigma(l))] = t softplus(-l) + (1 - t) softplus(l),
          with target t = 1 - smooth; d/dl = sigma(l) - t.
    fake: -log(1 - sigma(l)) = softplus(l);  d/dl = sigma(l).
    """

    def _d_real(self, l):
        t = 1.0 - self.smooth
        value = np.mean(softplus(-l))
        if self.smooth:
            value = t * value + self.smooth * np.mean(softplus(l))
        return float(value), (sigmoid(l) - t) / l.size

    def _d_fake(self, l):
        return float(np.mean(softplus(l))), sigmoid(l) / l.size


class Minimax(_BCEDiscriminator):
    """The saturating game of Goodfellow et al. 2014: G minimises log(1 - D(G(z))).

    G's loss  = mean log(1 - sigma(l)) = -mean softplus(l);  d/dl = -sigma(l) = -D.
    As D(G(z)) -> 0 the factor -D -> 0: a confident D leaves G with no gradient.
    """

    name = "minimax"

    def _g(self, l):
        return float(-np.mean(softplus(l))), -sigmoid(l) / l.size


class NonSaturating(_BCEDiscriminator):
    """The non-saturating game: G minimises -log D(G(z)) instead.

    G's loss = mean softplus(-l);  d/dl = -(1 - sigma(l)) = -(1 - D), which -> -1 as D -> 0.
    """

    name = "nonsaturating"

    def _g(self, l):
        return float(np.mean(softplus(-l))), -sigmoid(-l) / l.size


class Wasserstein(GANLoss):
    """WGAN (Arjovsky et al. 2017): a critic score f(x), no sigmoid.

    D (critic) minimises mean f(fake) - mean f(real), an estimate of -W1 when f is
    1-Lipschitz (clipping or a gradient penalty must enforce that). G minimises -mean f(fake).
    """

    name = "wasserstein"
    uses_sigmoid = False
    supports_smoothing = False

    def _d_real(self, l):
        return float(-np.mean(l)), np.full_like(l, -1.0 / l.size)

    def _d_fake(self, l):
        return float(np.mean(l)), np.full_like(l, 1.0 / l.size)

    def _g(self, l):
        return float(-np.mean(l)), np.full_like(l, -1.0 / l.size)


class LeastSquares(GANLoss):
    """LSGAN (Mao et al. 2017) with targets a = 0 (fake), b = 1 (real), c = 1 (G's aim).

    D: 1/2 mean (l - t)^2 on real (t = 1 - smooth) + 1/2 mean l^2 on fake.
    G: 1/2 mean (l - 1)^2.  Gradients: (l - target) / N.
    """

    name = "least_squares"
    uses_sigmoid = False        # the output itself is regressed onto the targets 0 and 1
    threshold = 0.5             # halfway between the fake and the real target

    def _d_real(self, l):
        r = l - (1.0 - self.smooth)
        return float(0.5 * np.mean(r * r)), r / l.size

    def _d_fake(self, l):
        return float(0.5 * np.mean(l * l)), l / l.size

    def _g(self, l):
        r = l - 1.0
        return float(0.5 * np.mean(r * r)), r / l.size


class Hinge(GANLoss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018).

    D: mean max(0, 1 - l) on real + mean max(0, 1 + l) on fake;  G: -mean l.
    """

    name = "hinge"
    uses_sigmoid = False
    supports_smoothing = False

    def _d_real(self, l):
        m = 1.0 - l
        return float(np.mean(np.maximum(m, 0.0))), -(m > 0).astype(l.dtype) / l.size

    def _d_fake(self, l):
        m = 1.0 + l
        return float(np.mean(np.maximum(m, 0.0))), (m > 0).astype(l.dtype) / l.size

    def _g(self, l):
        return float(-np.mean(l)), np.full_like(l, -1.0 / l.size)


class RelativisticPairing(GANLoss):
    """RpGAN (Jolicoeur-Martineau 2019; Huang et al. 2024): each fake is judged against a real partner.

    Pair i is (real[i], fake[i]), N pairs; d_i = l(fake_i) - l(real_i), l a raw score.
    D: mean softplus(d_i);   dL_D/dl(fake_i) = sigma(d_i) / N = -dL_D/dl(real_i).
    G: mean softplus(-d_i);  dL_G/dl(fake_i) = -sigma(-d_i) / N, which -> -1/N as D grows
       sure (d_i -> -inf): G's gradient does not saturate, and -> 0 once G's sample
       outscores its partner. Only differences of scores count, so there is no sigmoid
       of its own, no label to smooth, and no separate real or fake term (d_real and
       d_fake refuse; parts=True splits each pair's term half and half).
    The D(real) term in G's loss: real samples do not depend on G's parameters, so it is
    a constant for G (its gradient with respect to G's weights is 0); its value still
    sets each fake's slope through sigma(l(real_i) - l(fake_i)). g() returns both
    gradients keyed by name; steps.g_gradients sends "fake_logits" alone back into G.
    """

    name = "rpgan"
    uses_sigmoid = False
    supports_smoothing = False
    pairs = True

    def _pair(self, real_logits, fake_logits):
        if real_logits is None:
            raise ValueError("the rpgan loss pairs every fake with a real sample: pass real_logits, "
                             "D's outputs on a real batch of the fake batch's shape")
        r, f = _as_logits(real_logits, "real_logits"), _as_logits(fake_logits, "fake_logits")
        if r.shape != f.shape:
            raise ValueError(f"the rpgan loss pairs real_logits with fake_logits one to one: their "
                             f"shapes must match, got {r.shape} and {f.shape}")
        return r, f, f - r

    def d(self, real_logits, fake_logits, parts=False):
        r, f, d = self._pair(real_logits, fake_logits)
        s, value = sigmoid(d) / d.size, float(np.mean(softplus(d)))
        grads = {"real_logits": (-s).astype(r.dtype, copy=False), "fake_logits": s.astype(f.dtype, copy=False)}
        return (value, grads, {"real_logits": value / 2, "fake_logits": value / 2}) if parts else (value, grads)

    def g(self, fake_logits, real_logits=None):
        r, f, d = self._pair(real_logits, fake_logits)
        s = sigmoid(-d) / d.size
        return float(np.mean(softplus(-d))), {"fake_logits": (-s).astype(f.dtype, copy=False),
                                              "real_logits": s.astype(r.dtype, copy=False)}

    def _d_real(self, l):
        raise ValueError("the rpgan loss has no separate real or fake term: call d(real_logits, fake_logits)")

    _d_fake = _d_real


LOSSES = {cls.name: cls for cls in (Minimax, NonSaturating, Wasserstein, LeastSquares, Hinge,
                                    RelativisticPairing)}


def get_loss(name, smooth=0.0):
    """The loss family called `name`: minimax, nonsaturating, wasserstein, least_squares, hinge, rpgan."""
    if isinstance(name, GANLoss):
        return name
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; allowed: {', '.join(LOSSES)}")
    return LOSSES[name](smooth=smooth)
