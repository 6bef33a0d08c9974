"""How TF_CONFIG maps onto a JAX cluster (the multi-process run itself: test_multiworker.py)."""

from faceswap.plugins.train.model._base.settings import jax_cluster


def test_workers_only_worker_zero_coordinates():
    config = {"cluster": {"worker": ["h1:1", "h2:2", "h3:3"]},
              "task": {"type": "worker", "index": 2}}
    assert jax_cluster(config) == ("h1:1", 3, 2)


def test_a_chief_is_process_zero_and_workers_follow():
    cluster = {"chief": ["c:9"], "worker": ["h1:1", "h2:2"]}
    assert jax_cluster({"cluster": cluster, "task": {"type": "chief", "index": 0}}) == (
        "c:9", 3, 0)
    assert jax_cluster({"cluster": cluster, "task": {"type": "worker", "index": 1}}) == (
        "c:9", 3, 2)


def test_one_process_is_no_cluster():
    assert jax_cluster({"cluster": {"worker": ["h1:1"]}, "task": {"index": 0}}) is None
    assert jax_cluster({}) is None
