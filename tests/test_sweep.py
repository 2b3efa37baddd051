"""The sweep engine: finished runs never redone, the same bits on one process, on several, and
on a real Dask cluster (a scheduler and two worker processes on this machine).

The cluster tests need Dask distributed (the test extra installs it); without it they are
skipped, saying so.
"""

import subprocess
import sys
import textwrap

import pytest

from tinygan import Config
from tinygan.questions import sweep as sweep_module
from tinygan.questions.store import ResultStore, bit_difference, run_key
from tinygan.questions.sweep import sweep, train_one, train_runs

OPTIONS = {"snap_steps": [0, 20], "landscape": False}


def tiny(seed, **changes):
    """A run of a few milliseconds: 20 steps of 16-unit networks, evaluated twice."""
    return Config(data="ring", steps=20, batch_size=32, g_hidden=(16,), d_hidden=(16,), eval_every=10,
                  eval_samples=200, seed=seed, **changes)


RUNS = [tiny(0), tiny(1), tiny(2), {"config": tiny(0), "negatives": "blend"}]


def same(a, b):
    """Where two lists of results differ, ignoring only the wall time; None if nowhere."""
    strip = [[{k: v for k, v in r.items() if k != "seconds"} for r in rs] for rs in (a, b)]
    return bit_difference(*strip, where="results")


def explode(run, **options):
    raise AssertionError(f"trained {run!r:.60} although it was stored")


@pytest.fixture(scope="module")
def here():
    """The four runs trained in this process, once for the whole module."""
    return sweep(RUNS, train_one, OPTIONS, jobs=1)


# ----------------------------------------------------------------------------- local

def test_every_run_differs_and_the_results_are_seeded(here):
    finals = [r["final"]["sliced_w"] for r in here]
    assert len(set(finals)) == 4                        # four different runs, not one four times
    assert same(here[:1], sweep(RUNS[:1], train_one, OPTIONS, jobs=1)) is None
    assert sorted(here[0]["snaps"]) == [0, 20] and len(here[0]["history"]["g_loss"]) == 20


def test_two_local_processes_give_the_same_bits(here):
    assert same(here, sweep(RUNS, train_one, OPTIONS, jobs=2)) is None


def test_train_runs_keeps_its_signature_and_is_the_engine(here):
    results = train_runs(RUNS, snap_steps=(20, 0), jobs=1)
    assert same(here, results) is None


def test_identical_runs_are_trained_once_and_share_a_result():
    trained = []
    results = sweep([tiny(4), tiny(4), tiny(5)], train_one, jobs=1,
                    progress=lambda i, r: trained.append(i))
    assert trained == [0, 2] and results[0] is results[1] and results[0] is not results[2]


def test_a_second_call_with_a_store_trains_nothing(tmp_path, here):
    path = tmp_path / "runs.jsonl"
    trained = []
    first = sweep(RUNS, train_one, OPTIONS, jobs=1, store=path, progress=lambda i, r: trained.append(i))
    assert trained == [0, 1, 2, 3] and same(here, first) is None and len(ResultStore(path)) == 4
    # the same runs again: a task that fails if called, under the same name, and no progress
    again = sweep(RUNS, explode, OPTIONS, name="train_one", jobs=2, store=str(path),
                  progress=lambda i, r: trained.append(i))
    assert trained == [0, 1, 2, 3] and same(first, again) is None
    assert again[0]["seconds"] == first[0]["seconds"]   # read back, not trained again
    assert same(here, train_runs(RUNS, snap_steps=(0, 20), store=path, jobs=1)) is None


def test_only_the_runs_missing_from_the_store_are_trained(tmp_path, here):
    store = ResultStore(tmp_path / "runs.jsonl")
    sweep(RUNS[:2], train_one, OPTIONS, jobs=1, store=store)
    trained = []
    results = sweep(RUNS, train_one, OPTIONS, jobs=1, store=store, progress=lambda i, r: trained.append(i))
    assert trained == [2, 3] and same(here, results) is None
    assert sweep(RUNS + [tiny(9)], train_one, OPTIONS, store=store, train=False)[-1] is None


def test_reuse_false_trains_again_and_the_new_line_is_read(tmp_path):
    store = ResultStore(tmp_path / "runs.jsonl")
    old = sweep([tiny(0)], train_one, jobs=1, store=store)[0]
    new = sweep([tiny(0)], train_one, jobs=1, store=store, reuse=False)[0]
    assert new["seconds"] != old["seconds"]
    with open(store.path) as f:
        assert len(f.readlines()) == 2
    assert store.get(run_key(tiny(0), "train_one", {}))["seconds"] == new["seconds"]


def test_runs_finished_before_a_failure_are_kept(tmp_path):
    path = tmp_path / "runs.jsonl"
    bad = tiny(3, loss="no-such-loss")
    with pytest.raises(ValueError, match="no-such-loss"):
        sweep([tiny(0), bad, tiny(1)], train_one, jobs=1, store=path)
    assert len(ResultStore(path)) == 1


def test_bad_arguments_are_refused_clearly():
    with pytest.raises(ValueError, match="cluster must be a Dask scheduler address"):
        sweep(RUNS, cluster="localhost:8786")
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        sweep(RUNS, jobs=0)
    with pytest.raises(TypeError, match="a run is a Config or a dict"):
        sweep([{"seed": 1}])


def test_a_cluster_without_dask_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)           # import dask now fails
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ImportError, match=r'pip install "tinygan\[cluster\]"'):
        sweep([tiny(0)], cluster="tcp://127.0.0.1:1")


def test_a_local_sweep_never_imports_dask():
    code = textwrap.dedent("""
        import sys
        from tinygan import Config
        from tinygan.questions.sweep import train_runs
        train_runs([Config(steps=2, batch_size=8, g_hidden=(4,), d_hidden=(4,), eval_every=0,
                           eval_samples=50)], jobs=1)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- Dask

@pytest.fixture(scope="module")
def cluster():
    """A scheduler and two worker processes (one thread each) on this machine."""
    distributed = pytest.importorskip(
        "dask.distributed", reason='Dask distributed is not installed (pip install "tinygan[cluster]")')
    # every port chosen free at random: the scheduler serves HTTP even without a dashboard
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  scheduler_port=0, dashboard_address=":0") as c:
        yield c


def test_a_dask_cluster_gives_the_same_bits_as_local_processes(cluster, here):
    from dask.distributed import Client, get_task_stream
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        with get_task_stream(client) as stream:
            results = sweep(RUNS, train_one, OPTIONS, cluster=client)
        assert len({t["worker"] for t in stream.data}) == 2      # both workers trained runs
    assert same(here, results) is None


def test_a_cluster_address_and_a_store_train_each_run_once(cluster, here, tmp_path):
    path = tmp_path / "runs.jsonl"
    trained = []
    first = train_runs(RUNS[:2], snap_steps=(0, 20), cluster=cluster.scheduler_address, store=path)
    more = sweep(RUNS, train_one, OPTIONS, cluster=cluster, store=path,
                 progress=lambda i, r: trained.append(i))
    assert sorted(trained) == [2, 3] and same(here, more) is None and same(here[:2], first) is None
    assert same(more, sweep(RUNS, explode, OPTIONS, name="train_one", cluster=cluster, store=path)) is None


def _blas_threads(run):
    from threadpoolctl import threadpool_info
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_a_task_on_a_worker_runs_with_one_blas_thread(cluster):
    pytest.importorskip("threadpoolctl")
    import cloudpickle
    from dask.distributed import Client
    cloudpickle.register_pickle_by_value(sys.modules[__name__])    # the workers cannot import tests/
    try:
        with Client(cluster.scheduler_address, set_as_default=False) as client:
            inside = client.submit(sweep_module._call_on_worker, _blas_threads, {}, None).result()
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert inside and set(inside) == {1}


def test_every_worker_computes_like_this_process(cluster):
    from dask.distributed import Client
    with Client(cluster.scheduler_address, set_as_default=False) as client:
        there = client.run(sweep_module.environment)
    assert len(there) == 2 and all(e == sweep_module.environment() for e in there.values())
