"""A real Dask scheduler and workers as separate processes on 127.0.0.1, for the tests."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import segmetrics

TESTS = Path(__file__).resolve().parent


class Cluster:
    """``dask scheduler`` and ``dask worker`` subprocesses; ``close()`` ends them all."""

    def __init__(self, folder, n_workers, env=None):
        self.folder = Path(folder)
        self.env = dict(os.environ, **(env or {}))
        self.env.pop("PYTHONWARNINGS", None)
        paths = [str(Path(segmetrics.__file__).resolve().parents[1]), str(TESTS)]
        if self.env.get("PYTHONPATH"):
            paths.append(self.env["PYTHONPATH"])
        self.env["PYTHONPATH"] = os.pathsep.join(paths)
        self.scheduler = None
        self.workers = []
        try:
            self._start(n_workers)
        except BaseException:
            self.close()
            raise

    def _spawn(self, *args):
        log = open(self.folder / f"{args[0]}-{len(self.workers)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen([sys.executable, "-m", "distributed.cli." + args[0], *args[1:]],
                                   stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                   cwd=self.folder)
        log.close()
        return process

    def _start(self, n_workers):
        scheduler_file = self.folder / "scheduler.json"
        self.scheduler = self._spawn("dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                                     "--no-dashboard", "--scheduler-file", str(scheduler_file))
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                raise RuntimeError("the dask scheduler did not start")
            time.sleep(0.05)
        time.sleep(0.05)
        self.address = json.loads(scheduler_file.read_text())["address"]
        assert self.address.startswith("tcp://127.0.0.1:")
        for _ in range(n_workers):
            self.add_worker()

    def add_worker(self):
        worker = self._spawn("dask_worker", self.address, "--host", "127.0.0.1",
                             "--nthreads", "1", "--no-nanny", "--no-dashboard",
                             "--local-directory", str(self.folder / "scratch"),
                             "--death-timeout", "60")
        self.workers.append(worker)
        return worker

    def close(self):
        """End the workers first (a worker whose scheduler is gone can hang while closing)."""
        for group in (self.workers, [self.scheduler]):
            for process in group:
                if process is not None and process.poll() is None:
                    process.terminate()
            for process in group:
                if process is None:
                    continue
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
