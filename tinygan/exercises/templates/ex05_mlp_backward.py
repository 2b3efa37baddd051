"""Exercise 5: backprop through a whole multilayer perceptron.

Learning goal: chain layer backward passes into a network's backward pass; decide what the
forward pass must cache; get the gradient with respect to the input, dx, which is the only
signal a GAN's generator ever receives from its discriminator.

The network, with L linear layers and an activation act between them:

    h_0 = x
    h_l = act(h_{l-1} @ W_l + b_l)      for the hidden layers l = 1 .. L-1
    y   = h_{L-1} @ W_L + b_L           the last layer has NO activation: y is a logit

params = {"W1": (D_0, D_1), "b1": (D_1,), ..., "WL": (D_{L-1}, D_L), "bL": (D_L,)},
so L = len(params) // 2 and x is (N, D_0), y is (N, D_L).

Building blocks, from tinygan (they are the solutions of exercises 1 and 2):
    linear_forward(x, W, b)  -> (y, (x, W))
    linear_backward(dy, (x, W)) -> (dx, {"W": dW, "b": db})
    act = Activation(hidden);  act.forward(a) -> (h, h);  act.backward(dh, h) -> da
Activation's backward takes the activation's OUTPUT h, like exercise 2.

The backward pass starts from dy = dL/dy and walks the layers from L down to 1: through the
last linear layer, then, for each hidden layer, through its activation and its linear layer.
Each linear layer gives the gradient of its W and b and the gradient with respect to its
input, which is what the layer below needs. Draw the network for L = 2 before you code.

Check your work:  tinygan exercise check 5     (or: pytest exercises/ -k ex05)
"""

import numpy as np  # noqa: F401  (you may need it)

from tinygan.ops import Activation, linear_backward, linear_forward  # noqa: F401


def mlp_forward(x, params, hidden="tanh"):
    """y = MLP(x) -> (y, cache).

    x: (N, D_0); params: {"W1", "b1", ..., "WL", "bL"}; hidden: the name of the hidden
    activation (tanh, relu, leaky_relu, sigmoid, softplus).
    Returns y: (N, D_L) and a cache of your design holding what mlp_backward needs.
    x and params are not modified.
    """
    # TODO: loop over the layers l = 1 .. L; keep what the backward pass will need.
    raise NotImplementedError


def mlp_backward(dy, cache, hidden="tanh"):
    """Backprop dy = dL/dy through the network -> (dx, grads).

    dy: (N, D_L); cache: what your mlp_forward returned; hidden: as in mlp_forward.
    Returns dx = dL/dx of shape (N, D_0) and grads = {"W1": dL/dW1, "b1": dL/db1, ...} with
    one entry per parameter, each of its parameter's shape. dy is not modified.
    """
    # TODO: walk the layers from L down to 1.
    raise NotImplementedError
