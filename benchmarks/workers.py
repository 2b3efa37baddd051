"""One process per implementation, all pinned to the same core(s): the speed benchmark's machinery.

Each implementation (tinygan, the matmul-only bound, the peak product, PyTorch, JAX) lives in
its own worker process, so that one library's thread pools, allocator settings or BLAS cannot
touch another's. Every worker

    - is started with the same environment: OMP/OPENBLAS/MKL_NUM_THREADS and XLA_FLAGS set to
      the thread count, and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed unless asked to keep
      them (some machines set them for old OpenBLAS builds; they make a current NumPy pick
      slower kernels, see speed.md);
    - pins itself to the same CPU set with os.sched_setaffinity before it imports a library,
      so no thread of any library can run on another core (thread flags alone do not hold
      XLA to one core);
    - runs blocks of iterations on request and answers with their wall time and CPU time
      (time.process_time: every thread of the process), so a library that does use more than
      one CPU shows it, and a per-CPU-second ratio can be taken.

Only one worker computes at a time; the others wait on their pipe.
"""

if __name__ == "__main__":     # not a command of its own: speed.py imports this file
    import argparse
    argparse.ArgumentParser(description=__doc__.split("\n")[0],
                            epilog="speed.py imports it: python benchmarks/speed.py --help").parse_args()
    raise SystemExit("workers.py is a part of benchmarks/speed.py; run that (python benchmarks/speed.py --help)")

import multiprocessing
import os
import platform
import sys
import time
import traceback

OPENBLAS_TUNING = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def child_environment(threads, keep_openblas_tuning):
    """The environment every worker starts with, and a line saying what was changed."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
                        f"intra_op_parallelism_threads={threads}")
    found = {var: os.environ[var] for var in OPENBLAS_TUNING if var in os.environ}
    if not found:
        note = "OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: not set in this shell"
    elif keep_openblas_tuning:
        note = ("OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: kept for the workers (--keep-openblas-env): "
                + ", ".join(f"{k}={v}" for k, v in found.items()))
    else:
        for var in found:
            del env[var]
        note = ("OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: removed for the workers (this shell had "
                + ", ".join(f"{k}={v}" for k, v in found.items()) + "; --keep-openblas-env keeps them)")
    return env, note


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform reports."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags():
    """The widest x86 vector extension the CPU reports (what BLAS kernels are chosen by)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return "unknown"
    for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX")):
        if flag in flags:
            return name
    return "no AVX"


def process_report():
    """What this process runs on: its CPUs, its OS threads, and every BLAS/OpenMP library loaded."""
    out = {"cpus": sorted(os.sched_getaffinity(0)), "threads": len(os.listdir("/proc/self/task"))}
    try:
        from threadpoolctl import threadpool_info
        out["pools"] = [{k: info.get(k) for k in ("user_api", "internal_api", "prefix", "version",
                                                   "architecture", "num_threads", "threading_layer")}
                        for info in threadpool_info()]
    except ImportError:
        out["pools"] = "threadpoolctl not installed: BLAS library and kernel unknown"
    out["engine"] = engine_report()
    return out


def engine_report():
    """What a peer computes with, beyond the libraries threadpoolctl sees (statically linked ones)."""
    import re
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        config = torch.__config__.show()
        found = re.findall(r"BLAS_INFO=\w+|CPU capability usage: \w+", config)
        return (f"torch {', '.join(found)}, intra-op threads {torch.get_num_threads()}, "
                f"inter-op {torch.get_num_interop_threads()}")
    if "jax" in sys.modules:
        jax = sys.modules["jax"]
        return (f"XLA:CPU {jax.devices()[0].device_kind}, its own compiled kernels (no BLAS library); "
                f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}")
    return ""


def describe_pools(report):
    """One line for a worker's BLAS / OpenMP pools, e.g. 'openblas 0.3.31 SkylakeX, 1 thread'."""
    pools = report["pools"]
    if isinstance(pools, str):
        return pools
    if not pools:
        return "no BLAS or OpenMP library loaded"
    parts = []
    for p in pools:
        words = [p["internal_api"], p.get("version"), f"kernel {p['architecture']}" if p.get("architecture") else None]
        parts.append(" ".join(w for w in words if w) + f" ({p['prefix']}), {p['num_threads']} thread(s)")
    return "; ".join(parts)


class Worker:
    """A process running one implementation; call it with a command, get the answer back."""

    def __init__(self, name, make, cpus, env, malloc_default):
        ctx = multiprocessing.get_context("spawn")
        self.name = name
        self.conn, child = ctx.Pipe()
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)           # a spawned child starts with this environment
        try:
            self.process = ctx.Process(target=_serve, args=(child, make, cpus, malloc_default),
                                       name=f"speed-{name}", daemon=True)
            self.process.start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        child.close()

    def __call__(self, command, *args):
        self.conn.send((command, args))
        ok, answer = self.conn.recv()
        if not ok:
            raise RuntimeError(f"worker {self.name} failed on {command}:\n{answer}")
        return answer

    def close(self):
        try:
            self.conn.send(("quit", ()))
        except (BrokenPipeError, OSError):
            pass
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()


def _serve(conn, make, cpus, malloc_default):
    """The worker's loop: pin, then build the implementation and answer commands until quit."""
    os.sched_setaffinity(0, cpus)        # before any library starts a thread
    state = {"malloc": "glibc default (trimming on)" if malloc_default else keep_freed_memory()}
    impl = None
    while True:
        command, args = conn.recv()
        if command == "quit":
            return
        try:
            if command == "setup":       # args: (workload name,)
                impl = make(*args)
                answer = impl.describe()
            elif command == "report":
                answer = {**process_report(), "malloc": state["malloc"], "python": sys.version.split()[0]}
            elif command == "run":       # args: (iterations,) -> (wall seconds, CPU seconds)
                answer = impl.run(*args)
            else:                        # gradients, one_step, profile: the implementation's own
                answer = getattr(impl, command)(*args)
            conn.send((True, answer))
        except Exception:  # noqa: BLE001 (sent back to the parent, which raises it)
            conn.send((False, traceback.format_exc()))


def timed_block(step, sync, inputs, n):
    """(wall seconds, CPU seconds of the whole process) for n iterations cycling through inputs."""
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        step(*inputs[i % len(inputs)])
    sync()
    return time.perf_counter() - wall, time.process_time() - cpu


def keep_freed_memory():
    """Tell glibc malloc to keep freed memory for reuse (no trimming, no per-array mmap).

    With glibc's default trimming, every step hands its freed activations back to the OS and
    faults them in again (on ring8 about a third of a step). The setting is process-wide and
    every worker gets it, so it applies to all implementations alike.
    """
    import ctypes
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return "not glibc, left as is"
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    ok = libc.mallopt(M_TRIM_THRESHOLD, 1 << 30) and libc.mallopt(M_MMAP_THRESHOLD, 1 << 25)
    return "glibc keeps freed memory (M_TRIM_THRESHOLD 1 GiB, M_MMAP_THRESHOLD 32 MiB)" if ok else "mallopt refused"
