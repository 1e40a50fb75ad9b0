"""Dask-distributed evaluation: a real scheduler and workers as processes on 127.0.0.1.

The outputs equal a local run's; a worker killed mid-run costs nothing: every case
is still scored, and reported exactly once.
"""
import json
import os
import signal
import time

import pytest
from cli_helpers import (
    blob_pair,
    fail_on_worker,
    make_folders,
    run_cli,
    score_or_die,
    slow_score,
    write_png,
)
from dask_cluster import Cluster

from segmetrics import evaluate
from segmetrics.evaluation import Options, runners

distributed = pytest.importorskip("distributed")
pytest.importorskip("PIL")

N_CASES = 16


def _without_command_line(path):
    summary = json.loads(path.read_text())
    summary.pop("command_line")
    return summary


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("distributed")
    preds, gts = make_folders(root)
    for i in range(N_CASES):
        pred, gt = blob_pair((24, 24), (1, 2), seed=300 + i)
        if i == 5:
            pred[:] = 0  # an empty prediction
        write_png(gts / f"c{i:02d}.png", gt)
        if i != 7:  # c07 has no prediction
            write_png(preds / f"c{i:02d}.png", pred)
    (preds / "die_broken.png").write_bytes(b"not a png")
    (gts / "die_broken.png").write_bytes(b"not a png either")
    return root


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("cluster"), n_workers=2)
    yield running
    running.close()


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster.address, timeout=60) as connected:
        connected.wait_for_workers(2, timeout=60)
        yield connected


@pytest.fixture(scope="module")
def local(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    run = evaluate.evaluate_folder(folder / "preds", folder / "gts", out_dir=out,
                                   metrics=["dice", "hd95"], jobs=1)
    return out, run


def _settings():
    return Options.build(metrics=("dice",), labels=(1, 2))


def test_evaluate_folder_on_a_cluster_equals_the_local_run(folder, local, client, tmp_path,
                                                           monkeypatch):
    local_out, local_run = local
    monkeypatch.chdir(folder)  # relative folders: the workers run elsewhere
    run = evaluate.evaluate_folder("preds", "gts", out_dir=tmp_path,
                                   metrics=["dice", "hd95"], client=client)
    assert run.records == local_run.records
    given = ("predictions", "ground_truths")  # the folders as given: relative here
    assert ({k: v for k, v in run.summary.items() if k not in given}
            == {k: v for k, v in local_run.summary.items() if k not in given})
    assert (tmp_path / "metrics.csv").read_bytes() == (local_out / "metrics.csv").read_bytes()
    statuses = {r.status for r in run.records}
    assert {"ok", "missing", "error", "empty_pred"} <= statuses


def test_surfel_on_a_cluster_equals_the_local_run(folder, client):
    options = dict(metrics=["hd95", "assd", "nsd"], surface="surfel", n_resamples=0)
    local_run = evaluate.evaluate_folder(folder / "preds", folder / "gts", jobs=1, **options)
    run = evaluate.evaluate_folder(folder / "preds", folder / "gts", client=client, **options)
    assert run.records == local_run.records
    assert run.summary["options"]["surface"] == "surfel"
    voxel = evaluate.evaluate_folder(folder / "preds", folder / "gts", jobs=1,
                                     **{**options, "surface": "voxel"})
    assert [r.values for r in voxel.records] != [r.values for r in run.records]


def test_cli_scheduler_equals_the_local_cli(folder, cluster, client, tmp_path):
    outputs = {}
    for name, engine in (("local", ["-j", "1"]), ("dask", ["--scheduler", cluster.address])):
        done = run_cli(folder / "preds", folder / "gts", "-o", tmp_path / name, "--metrics",
                       "dice,hd95", *engine, "--report", tmp_path / name / "report.html")
        assert done.returncode == 1, done.stderr  # c07 missing, die_broken unreadable
        assert "die_broken" in done.stderr
        outputs[name] = tmp_path / name
    assert ((outputs["local"] / "metrics.csv").read_bytes()
            == (outputs["dask"] / "metrics.csv").read_bytes())
    assert (_without_command_line(outputs["local"] / "summary.json")
            == _without_command_line(outputs["dask"] / "summary.json"))
    assert (outputs["dask"] / "report.html").exists()


def test_a_task_failing_on_the_worker_is_an_error_row(folder, client):
    from segmetrics.distributed import run_cases

    cases, _ = evaluate.match_cases(folder / "preds", folder / "gts")
    results = []
    run_cases(cases[:3], _settings(), client, results.append, work=fail_on_worker)
    assert sorted(r.name for r in results) == sorted(c.name for c in cases[:3])
    for result in results:
        assert [r.status for r in result.records] == ["error", "error"]
        assert "RuntimeError: no scorer here" in result.records[0].error


def test_cli_dask_local(folder, local, tmp_path):
    local_out, _ = local
    done = run_cli(folder / "preds", folder / "gts", "-o", tmp_path, "--metrics", "dice,hd95",
                   "--dask-local", "1", "-q")
    assert done.returncode == 1, done.stderr
    assert (tmp_path / "metrics.csv").read_bytes() == (local_out / "metrics.csv").read_bytes()


def test_cli_unreachable_scheduler_is_a_usage_error(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "2s")
    done = run_cli(folder / "preds", folder / "gts", "-o", tmp_path, "--metrics", "dice",
                   "--scheduler", "tcp://127.0.0.1:1", "-q", timeout=120)
    assert done.returncode == 2
    assert "Dask cluster" in done.stderr


def test_a_worker_killed_mid_run_loses_no_case(folder, tmp_path):
    """Kill one of two workers while it scores: its tasks rerun on the other one."""
    from segmetrics.distributed import run_cases

    cases, _ = evaluate.match_cases(folder / "preds", folder / "gts")
    cases = [c for c in cases if not c.name.startswith("die")]
    settings = _settings()
    expected = {c.name: evaluate.score_case(c, settings).records for c in cases}
    running = Cluster(tmp_path, n_workers=2)
    try:
        with distributed.Client(running.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            results = []
            victim = running.workers[0]

            def on_result(result):
                results.append(result)
                if len(results) == 2:
                    os.kill(victim.pid, signal.SIGKILL)

            started = time.monotonic()
            run_cases(cases, settings, client, on_result, work=slow_score)
            assert time.monotonic() - started < 120
            assert victim.wait(timeout=20) == -signal.SIGKILL
            deadline = time.monotonic() + 20
            while len(client.nthreads()) != 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(client.nthreads()) == 1
    finally:
        running.close()
    names = [r.name for r in results]
    assert sorted(names) == sorted(expected)  # every case, each exactly once
    assert {r.name: r.records for r in results} == expected


def test_a_case_that_kills_every_worker_becomes_an_error(folder, tmp_path):
    """With allowed_failures = 0 a killed task fails at once: its cases are retried alone, and
    only the case that kills its worker again is an error row. (Worker saturation 1: a worker
    holds only the task it runs, so no innocent task is on a worker when it dies.)"""
    from segmetrics.distributed import run_cases

    cases, _ = evaluate.match_cases(folder / "preds", folder / "gts")
    cases = cases[:4] + [evaluate.Case("die3", cases[4].pred, cases[4].gt)]
    settings = _settings()
    running = Cluster(tmp_path, n_workers=3,
                      env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
                           "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"})
    try:
        with distributed.Client(running.address, timeout=60) as client:
            client.wait_for_workers(3, timeout=60)
            results = []
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(runners, "chunks",
                              lambda cases, jobs: [cases[:2], cases[2:]])
                run_cases(cases, settings, client, results.append, work=score_or_die)
    finally:
        running.close()
    statuses = {r.name: r.records[0].status for r in results}
    assert sorted(statuses) == sorted(c.name for c in cases)
    assert len(results) == len(cases)
    assert statuses.pop("die3") == "error"
    assert "error" not in statuses.values()


def test_connect_needs_exactly_one_engine():
    from segmetrics.distributed import connect

    for kwargs in ({}, {"scheduler": "tcp://127.0.0.1:1", "local_workers": 1}):
        with pytest.raises(ValueError, match="exactly one"), connect(**kwargs):
            pass


def test_cli_dask_local_must_be_positive(folder, tmp_path):
    done = run_cli(folder / "preds", folder / "gts", "-o", tmp_path, "--dask-local", "0", "-q")
    assert done.returncode == 2 and "--dask-local must be >= 1" in done.stderr
