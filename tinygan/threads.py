"""How many threads BLAS may use while tinygan works, and which BLAS it is.

    with limit_threads(1):   ...   BLAS uses one thread inside; after, what it used before
    with limit_threads(None): ...  BLAS left alone (its own default: usually one per core)
    blas()                         the BLAS numpy uses: library, version, kernel, threads

Why one thread: tinygan's matrices are small (a batch of 256 by 128 units), so one matrix
product takes tens of microseconds, about what it costs to hand half of it to a second
thread and wait for that thread. On a machine busy with other work the second thread is
often not running when it is waited for, and training gets several times slower, not
faster. The limit is set through threadpoolctl, which finds the BLAS that numpy loaded
(OpenBLAS, MKL, BLIS, Accelerate) and calls that library's own thread-count setter, and it
is undone on the way out: a user's other NumPy code, after train() returns, runs as before.

The thread count can change the last bits of a result (a product split across threads may
add in another order), so "same seed, same bits" holds for the same thread count.
"""

import contextlib
import os

from threadpoolctl import threadpool_info, threadpool_limits

from tinygan.checks import integer

__all__ = ["limit_threads", "check_threads", "blas"]


def check_threads(threads):
    """None (leave BLAS alone) or an integer >= 1; else ValueError."""
    if threads is None:
        return None
    try:
        return integer("threads", threads, minimum=1)
    except ValueError:
        raise ValueError(f"threads must be an integer >= 1, or None to leave BLAS's own "
                         f"setting alone; got {threads!r}") from None


@contextlib.contextmanager
def limit_threads(threads):
    """Inside the block BLAS uses at most `threads` threads (None: unchanged); restored after."""
    threads = check_threads(threads)
    if threads is None:
        yield
        return
    with threadpool_limits(limits=threads, user_api="blas"):
        yield


def blas():
    """The BLAS libraries numpy loaded, each {library, version, kernel, threads}: what the
    exact bits of a run depend on besides the seed (the kernel is the CPU architecture the
    library picked, e.g. SkylakeX or Haswell)."""
    return [{"library": lib.get("internal_api"), "version": lib.get("version"),
             "kernel": lib.get("architecture"), "threads": lib.get("num_threads")}
            for lib in threadpool_info() if lib.get("user_api") == "blas"]


BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def child_blas_threads(value="1"):
    """Set the BLAS thread variables for the processes started inside; restore them after.

    A worker process reads them when it loads NumPy, so each of several runs in parallel
    gets one BLAS thread instead of fighting the others for the cores.
    """
    saved = {k: os.environ.get(k) for k in BLAS_THREAD_VARIABLES}
    os.environ.update({k: value for k in BLAS_THREAD_VARIABLES})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
