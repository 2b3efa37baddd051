"""The speed benchmark's JAX peer: tinygan's G, D, loss and Adam in one jax.jit-compiled step.

Weights are copied from tinygan MLPs, in tinygan's layout (a layer is x @ W + b).

One iteration, compiled as a single XLA program (state buffers donated, updated in place):
    D step: x_fake = G(z1) (stop_gradient: a forward only); logits = D([x_real; x_fake]);
            loss_D = mean softplus(-l_real) + mean softplus(l_fake); jax.grad w.r.t. D's
            parameters only; Adam on D.
    G step: loss_G = mean softplus(-D(G(z2))) with the updated D; jax.grad w.r.t. G's
            parameters only (XLA drops D's parameter gradients and z's as dead code); Adam on G.
Adam is written out in PyTorch's (and tinygan's) form:
    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  p <- p - lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
XLA's thread count comes from XLA_FLAGS in the worker's environment (speed.py sets it), but the
flags alone do not hold XLA to one core (1.93 CPUs were seen on wide): the worker
process is pinned with os.sched_setaffinity before jax is imported, and its CPU time is measured.
"""

if __name__ == "__main__":     # not a command of its own: speed.py imports this file
    import argparse
    argparse.ArgumentParser(description=__doc__.split("\n")[0],
                            epilog="speed.py imports and times it: python benchmarks/speed.py --help").parse_args()
    raise SystemExit("peers_jax.py is a part of benchmarks/speed.py; run that (python benchmarks/speed.py --help)")

import functools

import jax
import jax.numpy as jnp
import numpy as np

ACTIVATIONS = {
    "identity": lambda a: a,
    "relu": lambda a: jnp.maximum(a, 0.0),
    "leaky_relu": lambda a: jnp.where(a > 0, a, 0.2 * a),  # slope 1 only where a > 0, as tinygan
    "tanh": jnp.tanh,
}


def _mlp(net):
    """A pure function (params, x) -> y with the architecture of tinygan MLP `net`."""
    n_layers = net.n_layers
    hidden, output = ACTIVATIONS[net.hidden.name], ACTIVATIONS[net.output.name]

    def forward(params, x):
        for l in range(1, n_layers + 1):
            x = x @ params[f"W{l}"] + params[f"b{l}"]
            x = (hidden if l < n_layers else output)(x)
        return x
    return forward


def _softplus(x):
    return jnp.logaddexp(x, 0.0)


class JaxGAN:
    """One training iteration of the benchmark as a single jitted JAX function."""

    name = "jax"

    def __init__(self, G, D, lr, betas, eps):
        g_fn, d_fn = _mlp(G), _mlp(D)
        b1, b2 = betas

        def d_loss(dp, gp, x_real, z1):
            x_fake = jax.lax.stop_gradient(g_fn(gp, z1))
            logits = d_fn(dp, jnp.concatenate([x_real, x_fake]))
            n = x_real.shape[0]
            return jnp.mean(_softplus(-logits[:n])) + jnp.mean(_softplus(logits[n:]))

        def g_loss(gp, dp, z2):
            return jnp.mean(_softplus(-d_fn(dp, g_fn(gp, z2))))

        def adam(p, g, m, v, t):
            bc1, bc2 = 1.0 - b1 ** t, 1.0 - b2 ** t
            m = jax.tree.map(lambda m, g: b1 * m + (1.0 - b1) * g, m, g)
            v = jax.tree.map(lambda v, g: b2 * v + (1.0 - b2) * (g * g), v, g)
            p = jax.tree.map(lambda p, m, v: p - (lr / bc1) * (m / (jnp.sqrt(v) / jnp.sqrt(bc2) + eps)),
                             p, m, v)
            return p, m, v

        @functools.partial(jax.jit, donate_argnums=0)
        def step(state, x_real, z1, z2):
            gp, dp, gm, gv, dm, dv, t = state
            t = t + 1.0
            dp, dm, dv = adam(dp, jax.grad(d_loss)(dp, gp, x_real, z1), dm, dv, t)
            gp, gm, gv = adam(gp, jax.grad(g_loss)(gp, dp, z2), gm, gv, t)
            return gp, dp, gm, gv, dm, dv, t

        self._step = step
        self._grads = jax.jit(lambda gp, dp, x_real, z1, z2: (jax.grad(d_loss)(dp, gp, x_real, z1),
                                                               jax.grad(g_loss)(gp, dp, z2)))
        gp = {k: jnp.asarray(v) for k, v in G.params.items()}
        dp = {k: jnp.asarray(v) for k, v in D.params.items()}
        zeros = lambda tree: jax.tree.map(jnp.zeros_like, tree)  # noqa: E731
        self.state = (gp, dp, zeros(gp), zeros(gp), zeros(dp), zeros(dp), jnp.float32(0.0))

    @staticmethod
    def tensors(*arrays):
        """Inputs as device arrays (converted once, untimed)."""
        return tuple(jax.device_put(a) for a in arrays)

    def step(self, x_real, z1, z2):
        """D step then G step (dispatched asynchronously; see sync)."""
        self.state = self._step(self.state, x_real, z1, z2)

    def sync(self):
        """Wait until every dispatched step has finished."""
        jax.block_until_ready(self.state)

    def gradients(self, x_real, z1, z2):
        """(D's grads for the D step, G's grads for the G step) at the current weights, no update."""
        d, g = self._grads(self.state[0], self.state[1], x_real, z1, z2)
        return ({k: np.asarray(v) for k, v in d.items()}, {k: np.asarray(v) for k, v in g.items()})

    def weights(self):
        """(G's, D's) current parameters as NumPy arrays."""
        return tuple({k: np.array(v) for k, v in tree.items()} for tree in self.state[:2])


VERSION = jax.__version__
