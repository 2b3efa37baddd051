"""Double backprop through an MLP: the gradient, with respect to the weights, of a function
of the input gradient. Gradient penalties (WGAN-GP, R1, R2) are built on it.

A penalty is P = sum_i phi(u_i), where u_i = grad_x l(x_i) is the gradient of the network's
scalar output l at sample i with respect to that sample. u is itself computed by a backward
pass, so dP/dtheta means differentiating the backward pass. No autodiff: the derivation.

Notation (one layer per line, rows are samples, * is the elementwise product):

    forward     h_0 = x,   a_l = h_{l-1} W_l + b_l,   h_l = f_l(a_l)    l = 1..L
    backward    g_L = c                        (c = 1: the output itself, per sample)
                d_l = g_l * f_l'(a_l)          (gradient w.r.t. the pre-activation a_l)
                g_{l-1} = d_l W_l^T            (gradient w.r.t. h_{l-1})
                u = g_0                        (N, D_in): row i is grad_x l(x_i)

Because rows never mix, one backward pass with c = 1 gives every sample's own gradient.
The backward pass is a chain of linear maps (by W_l^T) and elementwise products (by
f_l'(a_l)); the only places the weights enter are the W_l^T and, through a_l, the f_l'.

Reverse mode through the backward pass. Write r = dP/du (N, D_in), and X^ for dP/dX (an
"adjoint"). The backward pass ran from layer L down to 1, so its adjoints run up, 1 to L:

    g^_0 = r
    for l = 1 .. L:
        g_{l-1} = d_l W_l^T      gives   d^_l = g^_{l-1} W_l            (N, D_l)
                                         dP/dW_l  += g^_{l-1}^T d_l     (D_{l-1}, D_l)
        d_l = g_l * f_l'(a_l)    gives   g^_l = d^_l * f_l'(a_l)
                                         s_l  = d^_l * g_l * f_l''(a_l) (dP/da_l, direct)

g^_L is thrown away: g_L = c does not depend on the weights. What is left is s_l, how P
moves when the pre-activation a_l moves while the forward pass is held fixed. The forward
pass then carries s_l back to the weights like any backward pass, except that every layer
receives its own injection s_l on top of what comes down from above:

    e_L = s_L                                        (P does not read the output h_L)
    e_l = s_l + (e_{l+1} W_{l+1}^T) * f_l'(a_l)       l = L-1 .. 1
    dP/dW_l += h_{l-1}^T e_l,    dP/db_l = sum_i e_l[i]

Altogether

    dP/dW_l = g^_{l-1}^T d_l  +  h_{l-1}^T e_l,      dP/db_l = sum_i e_l[i].

For piecewise-linear activations (relu, leaky_relu, identity) f'' = 0, so every s_l and
e_l vanish: the biases get no gradient and dP/dW_l = g^_{l-1}^T d_l alone (the network is
locally linear; only the weights on the active path set its slope). Both f' and f'' come
from ops.Activation in terms of the cached outputs h_l, so the forward cache (params, hs)
of MLP.forward is all this needs.

Shapes: x (N, D_in), c (N, 1), r (N, D_in); grads have the keys and shapes of D.params.
"""

import numpy as np


def input_gradient(D, cache, c=None):
    """u = grad_x sum_i c_i l(x_i), row by row, and the backward state double backprop needs.

    cache is MLP.forward's (params, hs); c (N, 1) defaults to ones, making row i of u the
    gradient of sample i's own output. Returns (u, state) with state = (params, hs, gs, ds,
    fps): the backward variables g_l, d_l and the derivatives f_l'(a_l), all per layer.
    """
    params, hs = cache
    L = D.n_layers
    n = hs[0].shape[0]
    g = np.ones((n, 1), dtype=hs[0].dtype) if c is None else c
    gs, ds, fps = [None] * (L + 1), [None] * (L + 1), [None] * (L + 1)
    gs[L] = g
    for l in range(L, 0, -1):
        fps[l] = D.activation(l).derivative(hs[l])         # f_l'(a_l) from h_l
        ds[l] = gs[l] * fps[l]                               # d_l = g_l * f_l'(a_l)
        gs[l - 1] = ds[l] @ params[f"W{l}"].T                # g_{l-1} = d_l W_l^T
    return gs[0], (params, hs, gs, ds, fps)


def penalty_gradients(D, state, r):
    """dP/dparams for a penalty P(u) with r = dP/du, by reverse mode through the backward pass.

    state is what input_gradient returned; r has u's shape (N, D_in). See the module
    docstring for the derivation. Returns a dict with the keys of D.params.
    """
    params, hs, gs, ds, fps = state
    L = D.n_layers
    grads = {}
    s = [None] * (L + 1)
    g_hat = r                                                # g^_0 = r
    for l in range(1, L + 1):
        W = params[f"W{l}"]
        grads[f"W{l}"] = g_hat.T @ ds[l]                     # g^_{l-1}^T d_l
        d_hat = g_hat @ W                                    # d^_l = g^_{l-1} W_l
        act = D.activation(l)
        if act.name in ("tanh", "sigmoid", "softplus"):      # f'' != 0: a direct term s_l
            s[l] = d_hat * gs[l] * act.second_derivative(hs[l])
        g_hat = d_hat * fps[l]                               # g^_l = d^_l * f_l'(a_l)
    # carry the injections s_l back through the forward pass: e_l, then h_{l-1}^T e_l
    e = None
    for l in range(L, 0, -1):
        if e is not None and l < L:
            e = (e @ params[f"W{l + 1}"].T) * fps[l]
        if s[l] is not None:
            e = s[l] if e is None else e + s[l]
        if e is None:
            grads[f"b{l}"] = np.zeros_like(params[f"b{l}"])
        else:
            grads[f"W{l}"] = grads[f"W{l}"] + hs[l - 1].T @ e
            grads[f"b{l}"] = e.sum(axis=0)
    return grads
