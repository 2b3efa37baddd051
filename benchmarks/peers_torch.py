"""The speed benchmark's PyTorch (eager) peer: tinygan's G, D, loss and Adam, op for op.

Weights are copied from tinygan MLPs and kept in tinygan's layout (W is (D_in, D_out), a layer
is torch.addmm(b, x, W) = x @ W + b), so both sides multiply the same matrices the same way.

One iteration, the work tinygan's trainer does and no more:
    D step: x_fake = G(z1) under no_grad (no graph); logits = D([x_real; x_fake]) in one pass;
            loss_D = mean softplus(-l_real) + mean softplus(l_fake); backward() reaches only D's
            parameters (x_fake needs no grad); torch.optim.Adam step on D.
    G step: loss_G = mean softplus(-D(G(z2))); backward(inputs=G's parameters), so autograd
            computes D's input gradient but not D's parameter gradients, and no gradient for z;
            torch.optim.Adam step on G.
Adam is torch.optim.Adam(fused=True) unless speed.py is told otherwise (fused is the faster on CPU).
Hidden activations run in place (torch.relu_, leaky_relu_), as typical eager GAN code does.
"""

if __name__ == "__main__":     # not a command of its own: speed.py imports this file
    import argparse
    argparse.ArgumentParser(description=__doc__.split("\n")[0],
                            epilog="speed.py imports and times it: python benchmarks/speed.py --help").parse_args()
    raise SystemExit("peers_torch.py is a part of benchmarks/speed.py; run that (python benchmarks/speed.py --help)")

import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "identity": lambda a: a,
    "relu": torch.relu_,                                   # a <- max(a, 0), in place
    "leaky_relu": lambda a: F.leaky_relu_(a, 0.2),         # a <- max(a, 0.2 a), in place
    "tanh": torch.tanh_,
}


class TorchMLP:
    """A tinygan MLP's forward pass in PyTorch, from a copy of its weights."""

    def __init__(self, net):
        self.keys = list(net.params)
        self.params = {k: torch.tensor(v, requires_grad=True) for k, v in net.params.items()}
        self.n_layers = net.n_layers
        self.hidden = ACTIVATIONS[net.hidden.name]
        self.output = ACTIVATIONS[net.output.name]

    def parameters(self):
        return [self.params[k] for k in self.keys]

    def __call__(self, x):
        p = self.params
        for l in range(1, self.n_layers + 1):
            x = torch.addmm(p[f"b{l}"], x, p[f"W{l}"])  # x @ W + b
            x = (self.hidden if l < self.n_layers else self.output)(x)
        return x


class TorchGAN:
    """One training iteration of the benchmark in PyTorch eager mode."""

    name = "torch"

    def __init__(self, G, D, lr, betas, eps, fused=False):
        self.G, self.D = TorchMLP(G), TorchMLP(D)
        options = dict(lr=lr, betas=betas, eps=eps, fused=fused or None)
        self.opt_g = torch.optim.Adam(self.G.parameters(), **options)
        self.opt_d = torch.optim.Adam(self.D.parameters(), **options)

    @staticmethod
    def tensors(*arrays):
        """Inputs as torch tensors sharing the NumPy arrays' memory (converted once, untimed)."""
        return tuple(torch.from_numpy(a) for a in arrays)

    def _d_loss(self, x_real, z1):
        with torch.no_grad():
            x_fake = self.G(z1)
        logits = self.D(torch.cat([x_real, x_fake]))
        n = x_real.shape[0]
        return F.softplus(-logits[:n]).mean() + F.softplus(logits[n:]).mean()

    def _g_loss(self, z2):
        return F.softplus(-self.D(self.G(z2))).mean()

    def step(self, x_real, z1, z2):
        """D step then G step, as described in the module docstring."""
        self.opt_d.zero_grad(set_to_none=True)
        self._d_loss(x_real, z1).backward()
        self.opt_d.step()
        self.opt_g.zero_grad(set_to_none=True)
        self._g_loss(z2).backward(inputs=self.G.parameters())
        self.opt_g.step()

    def sync(self):
        """Eager CPU work is finished when the call returns."""

    def gradients(self, x_real, z1, z2):
        """(D's grads for the D step, G's grads for the G step) at the current weights, no update."""
        d = torch.autograd.grad(self._d_loss(x_real, z1), self.D.parameters())
        g = torch.autograd.grad(self._g_loss(z2), self.G.parameters())
        return ({k: t.numpy() for k, t in zip(self.D.keys, d)},
                {k: t.numpy() for k, t in zip(self.G.keys, g)})

    def weights(self):
        """(G's, D's) current parameters as NumPy arrays."""
        return tuple({k: t.detach().numpy().copy() for k, t in net.params.items()}
                     for net in (self.G, self.D))


def pin_threads(n):
    """Use n intra-op threads and a single inter-op thread; returns what was set."""
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process
        pass
    return f"torch.set_num_threads({n}) -> {torch.get_num_threads()}, interop {torch.get_num_interop_threads()}"


VERSION = torch.__version__
