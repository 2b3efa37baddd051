"""Curvature of the discriminator's loss, by hand: Hessian-vector products with Pearlmutter's
R-operator (forward-over-reverse), for an MLP and any tinygan activation.

The unrolled GAN (unrolled.py) needs two products with second derivatives of D's loss
L_D(theta, x) (theta: D's parameters, x: the inputs D judges), for a direction v shaped
like theta (a dict with the keys of D.params):

    H v    = d^2 L_D / dtheta^2 . v            shaped like theta
    M^T v  = d^2 L_D / dx dtheta . v           shaped like x: (N, D_in)

Pearlmutter (1994): both are directional derivatives. Write R{q} = d/de q(theta + e v) at
e = 0 for any quantity q computed from theta. Then

    R{grad_theta L_D} = H v,        R{grad_x L_D} = M^T v

(the second because mixed partials commute: moving theta along v and then asking how L_D
changes with x is asking, of v . grad_theta L_D, how it changes with x). So: run D's
forward and backward passes as usual and, beside every line, the line's R{.}: the product
rule applied once. Cost: about 2.5 gradients (per hidden layer 7 matrix products against a
gradient's 3); the Hessian (P x P) is never formed.

Notation: rows are samples, * is elementwise, f_l' and f_l'' are evaluated at a_l (ops
gives both as functions of the cached output h_l), V_l and c_l are v's parts for W_l, b_l.

    forward                              its R{.}                                 l = 1..L
    a_l = h_{l-1} W_l + b_l              Ra_l = Rh_{l-1} W_l + h_{l-1} V_l + c_l  (Rh_0 = 0:
    h_l = f_l(a_l)                       Rh_l = f_l' * Ra_l                        x is data)
    loss on the logits h_L:
    e   = dL/dh_L   (N, 1)               Re   = L'' * Rh_L      L'' = d^2 L / dlogit^2, per row
    backward, dh_L = e                   R{.}, R dh_L = Re                        l = L..1
    da_l = dh_l * f_l'                   R da_l = R dh_l * f_l' + dh_l * f_l'' * Ra_l
    dW_l = h_{l-1}^T da_l                (H v)_W_l = Rh_{l-1}^T da_l + h_{l-1}^T R da_l
    db_l = sum_rows da_l                 (H v)_b_l = sum_rows R da_l
    dh_{l-1} = da_l W_l^T                R dh_{l-1} = R da_l W_l^T + da_l V_l^T
    dx = dh_0                            M^T v = R dh_0

The loss family enters only through e and L'' (d_loss_curvature below). For relu and
leaky_relu f'' = 0 almost everywhere, so those terms vanish, but H v does not: a
piecewise-linear network is still a product of weights.
"""

import numpy as np

from tinygan.ops import sigmoid


def tangent_forward(D, x, v, params=None):
    """D's forward pass and its R{.} along the parameter direction v.

    x (N, D_in), v a dict with the keys and shapes of D.params. Returns (h_L, Rh_L, state):
    the logits (N, 1), their directional derivative (N, 1), and state = (params, hs, fps,
    Ras, Rhs) for tangent_backward: hs = [h_0 .. h_L], fps = [None, f_1' .. f_L'],
    Ras = [None, Ra_1 .. Ra_L], Rhs likewise.
    """
    p = D.params if params is None else params
    hs, fps, Ras, Rhs = [x], [None], [None], [None]
    Rh = None                                                # Rh_0 = 0
    for l in range(1, D.n_layers + 1):
        W, V = p[f"W{l}"], v[f"W{l}"]
        a = hs[-1] @ W + p[f"b{l}"]                          # a_l = h_{l-1} W_l + b_l
        Ra = hs[-1] @ V + v[f"b{l}"]                         # Ra_l = h_{l-1} V_l + c_l ...
        if Rh is not None:
            Ra += Rh @ W                                     # ... + Rh_{l-1} W_l
        act = D.activation(l)
        h, _ = act.forward(a)                                # h_l = f_l(a_l)
        fp = act.derivative(h)
        Rh = fp * Ra                                         # Rh_l = f_l' * Ra_l
        hs.append(h)
        fps.append(fp)
        Ras.append(Ra)
        Rhs.append(Rh)
    return hs[-1], Rh, (p, hs, fps, Ras, Rhs)


def tangent_backward(D, state, e, Re, v, need_hv=True):
    """D's backward pass for the output gradient e, and its R{.}: H v and M^T v.

    e = dL/dlogits (N, 1) and Re = R{e} (N, 1); state from tangent_forward along the same v.
    Returns (hv, mtv): hv a dict with D.params' keys ({} if need_hv=False), mtv (N, D_in).
    """
    p, hs, fps, Ras, Rhs = state
    dh, Rdh = e, Re                                          # dh_L = e, R dh_L = Re
    hv = {}
    for l in range(D.n_layers, 0, -1):
        act, fp = D.activation(l), fps[l]
        da = dh * fp                                         # da_l = dh_l * f_l'
        Rda = Rdh * fp                                       # R da_l = R dh_l * f_l' ...
        if act.name in ("tanh", "sigmoid", "softplus"):      # ... + dh_l * f_l'' * Ra_l
            Rda += dh * act.second_derivative(hs[l]) * Ras[l]
        if need_hv:
            hw = hs[l - 1].T @ Rda                           # h_{l-1}^T R da_l ...
            if l > 1:                                        # ... + Rh_{l-1}^T da_l
                hw += Rhs[l - 1].T @ da
            hv[f"W{l}"], hv[f"b{l}"] = hw, Rda.sum(axis=0)
        W, V = p[f"W{l}"], v[f"W{l}"]
        dh, Rdh = da @ W.T, Rda @ W.T + da @ V.T             # dh_{l-1}, R dh_{l-1}
    return hv, Rdh


# ----------------------------------------------------------------------------- the loss

CURVED = ("minimax", "nonsaturating", "least_squares")   # L'' != 0
FLAT = ("wasserstein", "hinge")                          # L'' = 0 (hinge: except at its kinks)


def d_loss_curvature(loss, logits, part):
    """L'' = d^2 L_D / dlogit^2 for each logit of D's real or fake batch (part "real"/"fake").

    Each logit enters D's loss through its own term of a mean over N = logits.size, so the
    Hessian in the logits is diagonal and this array (logits' shape) is all of it:

        minimax, nonsaturating (BCE on sigma(l)): sigma(l) (1 - sigma(l)) / N, for both parts
            (softplus'' = sigma (1 - sigma), and label smoothing only mixes two softplus terms
            whose second derivatives are equal, so the target t drops out)
        least_squares: 1 / N
        wasserstein:   0 (linear in the logits)
        hinge:         0 almost everywhere: max(0, 1 -+ l) is linear off its kink l = +-1,
                       where the second derivative is a Dirac mass no step will ever sample.
    """
    if part not in ("real", "fake"):
        raise ValueError(f"part must be 'real' or 'fake', got {part!r}")
    name = getattr(loss, "name", None)
    if name in ("minimax", "nonsaturating"):
        s = sigmoid(logits)
        return s * (1.0 - s) / logits.size
    if name == "least_squares":
        return np.full_like(logits, 1.0 / logits.size)
    if name in FLAT:
        return np.zeros_like(logits)
    raise ValueError(f"no second derivative for loss {name!r}; allowed: {', '.join(CURVED + FLAT)}")


def d_loss_hvp(D, loss, x_real, x_fake, v, params=None, need_hv=True):
    """H v and M^T v for D's loss L_D = loss.d_real(l(x_real)) + loss.d_fake(l(x_fake)).

    Both batches go through D stacked, as in the D step. x_real (N_r, D_in), x_fake (N_f, D_in),
    v a dict shaped like D.params. Returns (hv, mtv_fake): hv = d^2 L_D/dtheta^2 . v (a dict;
    {} if need_hv=False) and mtv_fake (N_f, D_in) = d/dx_fake (v . grad_theta L_D), the fake
    rows of M^T v (the real rows are data: nothing downstream needs them).
    """
    n = x_real.shape[0]
    logits, Rlogits, state = tangent_forward(D, np.concatenate([x_real, x_fake]), v, params)
    _, e_real = loss.d_real(logits[:n])
    _, e_fake = loss.d_fake(logits[n:])
    e = np.concatenate([e_real, e_fake])
    curv = np.concatenate([d_loss_curvature(loss, logits[:n], "real"),
                           d_loss_curvature(loss, logits[n:], "fake")])
    hv, mtv = tangent_backward(D, state, e, curv * Rlogits, v, need_hv)
    return hv, mtv[n:]
