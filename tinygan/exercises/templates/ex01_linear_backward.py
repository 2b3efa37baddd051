"""Exercise 1: the linear layer, forward and backward.

Learning goal: derive the backward pass of y = x @ W + b with the chain rule, write it as
matrix products, and see it agree with finite differences, the way every layer of tinygan is
checked.

Conventions (the same in every exercise and in tinygan itself):
- Arrays are batch-first: x has shape (N, D_in), one row per sample.
- A forward pass returns (y, cache); the cache holds what the backward pass needs.
- A backward pass receives dy = dL/dy, the gradient of some scalar loss L with respect to the
  output (same shape as y), and returns the gradients with respect to the inputs. It never
  writes into dy.

The math. Entry by entry, y[n, j] = sum_i x[n, i] * W[i, j] + b[j]. The chain rule says

    dL/dx[n, i] = sum_j  dL/dy[n, j] * dy[n, j]/dx[n, i]
    dL/dW[i, j] = sum_n  dL/dy[n, j] * dy[n, j]/dW[i, j]     (every sample uses W)
    dL/db[j]    = sum_n  dL/dy[n, j] * dy[n, j]/db[j]        (every sample uses b)

Each partial derivative dy[n, j]/d(...) is 1, an entry of x, or an entry of W. Work them out,
then write each sum as ONE matrix product or ONE reduction over an axis. Check shapes as you
go: a gradient always has the shape of the thing it is the gradient of.

There is no 1/N anywhere in this layer: if L is a mean over the batch, the 1/N is already
inside dy.

Check your work:  tinygan exercise check 1     (or: pytest exercises/ -k ex01)
"""

import numpy as np  # noqa: F401  (you will need it)


def linear_forward(x, W, b):
    """The affine map y = x @ W + b.

    x: (N, D_in), W: (D_in, D_out), b: (D_out,)  ->  y: (N, D_out).
    Returns (y, cache) with cache = (x, W), the tuple linear_backward reads.
    """
    # TODO: compute y and return (y, (x, W)).
    raise NotImplementedError


def linear_backward(dy, cache):
    """Gradients of a scalar loss L through y = x @ W + b.

    dy:    (N, D_out), dL/dy.
    cache: the tuple (x, W) that linear_forward returned.
    Returns (dx, grads) with
        dx    = dL/dx, shape (N, D_in)
        grads = {"W": dL/dW of shape (D_in, D_out), "b": dL/db of shape (D_out,)}.
    dy, x and W are only read, never modified.
    """
    x, W = cache
    # TODO: dx, dW and db, one line each; return (dx, {"W": dW, "b": db}).
    raise NotImplementedError
