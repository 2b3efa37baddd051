"""The unrolled GAN (Metz et al. 2016) with its second-order term: G's gradient taken through
K optimizer steps of D, by hand.

The surrogate. theta: D's parameters; x = G(z; phi): the fake batch (N, dim), one batch used
both inside the unroll and in G's loss; x_r: one real batch. A copy of D takes K steps of its
own optimizer on the fixed pair (x_r, x), and G is scored against where D ends up:

    theta_0 = D's parameters now,   s_0 = D's optimizer state now (Adam's m, v; momentum)
    g_k = grad_theta L_D(theta_k; x_r, x)                  D's loss gradient, shaped like theta
    (theta_{k+1}, s_{k+1}) = U(theta_k, s_k, g_k)          one optimizer step, k = 0 .. K-1
    f(phi) = L_G(theta_K; x(phi))                          G's loss against the look-ahead D

Every theta_k depends on x, so G's gradient has two parts (Metz et al.'s decomposition):

    df/dx = dL_G/dx at theta_K                    the direct term: "first order" unrolling
          + sum_k M_k^T gbar_k                    how D's K steps react to x: the second term

with M_k = d^2 L_D / dtheta dx at theta_k (the mixed second derivative) and gbar_k = df/dg_k,
the adjoint of D's k-th gradient. Then df/dphi = G's backward of df/dx, as in any G step.

Reverse mode (the adjoint method). lam_k = df/dtheta_k and sbar_k = df/ds_k walk backwards:

    lam_K = dL_G/dtheta at theta_K                (D.backward of G's loss, keeping D's grads)
    sbar_K = 0                                    (f reads theta_K, not the optimizer state)
    for k = K-1 .. 0:
        gbar_k, sbar_k = U's reverse, from (lam_{k+1}, sbar_{k+1})      (below, per optimizer)
        lam_k = lam_{k+1} + H_k gbar_k            H_k = d^2 L_D / dtheta^2 at theta_k
        df/dx += M_k^T gbar_k

(theta_{k+1} = theta_k + step, so theta_k reaches f directly, with Jacobian I, and through
g_k.) H_k gbar_k and M_k^T gbar_k come from one R-operator pass (hvp.d_loss_hvp).

The reverse of each optimizer step (t = Adam's step count after the step, arrays are
elementwise, lam = lam_{k+1}):

    SGD, momentum mu:  u' = mu u + g;  theta' = theta - eta u'
        U = ubar' - eta lam;   gbar = U;   ubar = mu U
      (plain SGD, mu = 0: gbar = -eta lam, so lam_k = lam_{k+1} - eta H_k lam_{k+1} and
       df/dx gets -eta M_k^T lam_{k+1})
    Adam:  m' = b1 m + (1-b1) g;  v' = b2 v + (1-b2) g^2;
           theta' = theta - c m' / w,  c = lr / (1 - b1^t),  w = sqrt(v') / sqrt(1 - b2^t) + eps
        Mb = mbar' - c lam / w
        Vb = vbar' + c lam m' / (w^2 sqrt(1 - b2^t) 2 sqrt(v'))      (0 where v' = 0)
        gbar = (1-b1) Mb + 2 (1-b2) g Vb;   mbar = b1 Mb;   vbar = b2 Vb
    RMSProp:  s' = a s + (1-a) g^2;  theta' = theta - lr g / w,  w = sqrt(s') + eps
        Sb = sbar' + lr lam g / (w^2 2 sqrt(s'))                    (0 where s' = 0)
        gbar = -lr lam / w + 2 (1-a) g Sb;   sbar = a Sb

The "0 where v' = 0" is the limit: v' = 0 only where every gradient so far was 0, and there
m' = 0 too and m' / sqrt(v') stays bounded. The forward K steps are the optimizer's own
step() on a copy, so the first-order form is bit for bit today's unrolled D step.

Loss families: all six of losses.py, the pairing loss (rpgan) first order only. The reverse needs L_D's second derivative in the
logits (hvp.d_loss_curvature): sigma (1 - sigma) / N for minimax and nonsaturating, 1 / N
for least_squares, 0 for wasserstein and (off its kinks at l = +-1) hinge. Optimizers: SGD
(with momentum), Adam, RMSProp, each with the state D's own optimizer has now.

Instance noise inside the unroll is a fixed draw per step, a shift of x: the derivative
passes through unchanged. Packing is a reshape. Gradient penalties (third derivatives)
and weight clipping are not differentiated: the second-order form refuses them.
Cost per G step, K steps: first order ~ K gradients of D's loss; second order adds K
R-operator passes (each ~2.5 gradients: 7 matrix products per hidden layer against 3) and
D's parameter gradient of G's loss: about 4-5x the first-order step on tinygan's 2-D nets.
"""

import copy
import math

import numpy as np

from tinygan import penalties
from tinygan.steps import d_gradients
from tinygan.hvp import d_loss_hvp
from tinygan.optim import SGD, Adam, RMSProp


# ----------------------------------------------------------------------------- optimizer reverses
# Each takes the optimizer (its hyperparameters), the step count t after the step, the
# gradient g that went in, the state after the step, lam = df/dtheta' and the state adjoints
# after the step (None: zero), all for one parameter array; it returns (gbar, state adjoints
# before the step). The formulas are those of the module docstring.

def _sgd_reverse(opt, t, g, after, lam, bar):
    U = -opt.lr * lam if bar is None else bar["v"] - opt.lr * lam
    return U, {"v": opt.momentum * U}


def _safe_inverse_sqrt(s):
    """1 / (2 sqrt(s)), and 0 where s = 0 (see the module docstring)."""
    out = np.zeros_like(s)
    np.divide(0.5, np.sqrt(s), out=out, where=s > 0)
    return out


def _adam_reverse(opt, t, g, after, lam, bar):
    m, v = after["m"], after["v"]
    c = opt.lr / (1.0 - opt.b1 ** t)
    r2 = 1.0 / math.sqrt(1.0 - opt.b2 ** t)   # a Python float: float32 stays float32
    w = np.sqrt(v) * r2 + opt.eps
    Mb = -c * lam / w
    Vb = (c * r2) * lam * m / (w * w) * _safe_inverse_sqrt(v)
    if bar is not None:
        Mb += bar["m"]
        Vb += bar["v"]
    gbar = (1.0 - opt.b1) * Mb + (2.0 * (1.0 - opt.b2)) * g * Vb
    return gbar, {"m": opt.b1 * Mb, "v": opt.b2 * Vb}


def _rmsprop_reverse(opt, t, g, after, lam, bar):
    s = after["s"]
    w = np.sqrt(s) + opt.eps
    Sb = opt.lr * lam * g / (w * w) * _safe_inverse_sqrt(s)
    if bar is not None:
        Sb += bar["s"]
    gbar = -opt.lr * lam / w + (2.0 * (1.0 - opt.alpha)) * g * Sb
    return gbar, {"s": opt.alpha * Sb}


REVERSES = {SGD: _sgd_reverse, Adam: _adam_reverse, RMSProp: _rmsprop_reverse}


# ----------------------------------------------------------------------------- the G step

def _check(loss, steps, optimizer, second_order, noise, rng, gp, r1, r2, clip):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    if type(optimizer) not in REVERSES:
        allowed = ", ".join(cls.__name__ for cls in REVERSES)
        raise ValueError(f"optimizer must be a tinygan optimizer ({allowed}), got {type(optimizer).__name__}")
    if noise and rng is None:
        raise ValueError("instance noise (noise > 0) needs rng, a numpy.random.Generator")
    if second_order and getattr(loss, "pairs", False):
        raise ValueError(f"the second-order unrolled gradient needs D's loss curvature per logit, and the "
                         f"{loss.name} loss couples each real logit with a fake one; use second_order=False")
    if second_order and (gp or r1 or r2 or clip):
        raise ValueError("the second-order unrolled gradient does not support gradient penalties "
                         "(gp, r1, r2) or weight clipping inside the unroll; turn them off or use "
                         "the first-order form (second_order=False)")


def unrolled_g_gradients(G, D, loss, z, x_real, steps, optimizer, d_params=None, second_order=True,
                         real_term=False, pack=1, noise=0.0, rng=None, g_params=None,
                         gp=0.0, r1=0.0, r2=0.0, clip=0.0):
    """G's loss and gradient against D unrolled `steps` optimizer steps (Metz et al. 2016).

    z (N, z_dim); x_real (N, dim): the one real batch of the unroll. optimizer: D's
    optimizer (SGD, Adam or RMSProp); its hyperparameters, learning rate and state are the
    unroll's starting point, and it is copied, never changed. d_params / g_params override
    D's / G's parameters. second_order=True differentiates through the K steps (the module
    docstring derives it); False keeps the direct term only, the gradient against the
    look-ahead D. real_term=True adds D's real-data loss at theta_K, with a minus sign, to
    G's objective: f = L_G(theta_K; x) - L_D,real(theta_K; x_r). For the minimax family that
    is -L_D(theta_K), the saddle value Metz et al. unroll; the real term reaches G only
    through theta_K (it adds -dL_D,real/dtheta_K to lam_K), so the first-order form does not
    feel it. pack > 1: PacGAN. noise > 0: instance noise N(0, noise^2) drawn from rng, for
    the real and the fake batch at each inner step, then once for G's loss (and once more
    for x_real, read by a pairing loss, or the real term): the order of the trainer's own
    steps. Each draw is a constant of the objective. gp, r1, r2, clip: D's penalties and
    clipping inside the unroll, first order only.

    Returns (value, grads, info) like g_gradients: value = f at theta_K, grads keyed like
    G's parameters, info with x_fake (N, dim), fake_logits (D at theta_K), dx (N, dim) = df/dx,
    dx_direct (the first-order part of dx) and d_params (theta_K, the look-ahead D).
    """
    _check(loss, steps, optimizer, second_order, noise, rng, gp, r1, r2, clip)
    x_fake, g_cache = G.forward(z, g_params)
    dim = x_fake.shape[1]
    theta = copy.deepcopy(D.params if d_params is None else d_params)
    opt = copy.deepcopy(optimizer)
    tape = []   # per inner step: what its reverse needs
    for _ in range(steps):
        _, grads, seen = d_gradients(D, loss, x_real, x_fake, theta, pack=pack, noise=noise, rng=rng,
                                     gp=gp, r1=r1, r2=r2)
        xr, xf = seen["real_seen"], seen["fake_seen"]      # what D saw: the reverse needs it
        before = {key: p.copy() for key, p in theta.items()} if second_order else None
        opt.step(theta, grads)
        if clip:
            penalties.clip_weights(theta, clip)
        if second_order:
            after = {slot: {key: a.copy() for key, a in table.items()} for slot, table in opt.state.items()}
            tape.append((before, xr, xf, grads, opt.t, after))
    # G's loss against the look-ahead D: the direct term, and lam_K = dL_G/dtheta_K
    x_seen = penalties.pack(penalties.add_instance_noise(x_fake, noise, rng), pack)
    logits, d_cache = D.forward(x_seen, theta)
    if getattr(loss, "pairs", False):          # rpgan: D(x_real) at theta_K, a constant for G
        value, dlogits = loss.g(logits, D(penalties.pack(penalties.add_instance_noise(x_real, noise, rng),
                                                          pack), theta))
    else:
        value, dlogits = loss.g(logits)
    dx_seen, lam = D.backward(dlogits["fake_logits"], d_cache, need_params=bool(tape))
    if real_term:                                # f -= L_D,real(theta_K): lam_K -= its gradient
        real_logits, r_cache = D.forward(penalties.pack(penalties.add_instance_noise(x_real, noise, rng),
                                                        pack), theta)
        v_real, e_real = loss.d_real(real_logits)
        value -= v_real
        if tape:
            _, lam_real = D.backward(-e_real, r_cache, need_dx=False)
            lam = {key: lam[key] + lam_real[key] for key in lam}
    dx_direct = penalties.unpack(dx_seen, pack, dim)
    dx = dx_direct
    if tape:
        dx = dx_direct + _reverse_through_the_unroll(D, loss, optimizer, tape, lam, pack, dim)
    _, grads = G.backward(dx, g_cache, need_dx=False)
    info = {"x_fake": x_fake, "fake_logits": logits, "dx": dx, "dx_direct": dx_direct,
            "d_params": theta}
    return value, grads, info


def _reverse_through_the_unroll(D, loss, optimizer, tape, lam, pack, dim):
    """sum_k M_k^T gbar_k, unpacked to (N, dim): the second term of df/dx (module docstring)."""
    reverse = REVERSES[type(optimizer)]
    xbar = None
    bars = {key: None for key in lam}
    for k in range(len(tape) - 1, -1, -1):
        theta_k, xr, xf, g, t, after = tape[k]
        gbar = {}
        for key in lam:
            state = {slot: table.get(key) for slot, table in after.items()}
            gbar[key], bars[key] = reverse(optimizer, t, g[key], state, lam[key], bars[key])
        hv, mtv = d_loss_hvp(D, loss, xr, xf, gbar, theta_k, need_hv=k > 0)
        if k > 0:                                 # lam_0 is not needed: theta_0 is not G's
            lam = {key: lam[key] + hv[key] for key in lam}
        mtv = penalties.unpack(mtv, pack, dim)
        xbar = mtv if xbar is None else xbar + mtv
    return xbar
