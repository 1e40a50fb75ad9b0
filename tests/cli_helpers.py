"""Generated folders and a runner for the end-to-end tests of segmetrics-eval."""
import csv
import json
import math
import os
import subprocess
import sys
import time

import numpy as np


def run_cli(*args, timeout=300):
    """Run segmetrics-eval as a user would (``python -m segmetrics.cli``), capturing output."""
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, "-m", "segmetrics.cli", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=env,
    )


def blob_pair(shape, labels, seed):
    """A ground-truth label map of random boxes and a prediction with some boxes moved."""
    rng = np.random.default_rng(seed)
    gt = np.zeros(shape, dtype=np.uint8)
    pred = np.zeros(shape, dtype=np.uint8)
    for label in labels:
        lo = [int(rng.integers(0, max(1, n // 2))) for n in shape]
        size = [int(rng.integers(2, max(3, n // 2))) for n in shape]
        box = tuple(slice(a, a + s) for a, s in zip(lo, size))
        gt[box] = label
        shift = tuple(slice(min(a + int(rng.integers(0, 3)), n - 1), a + s + 1)
                      for a, s, n in zip(lo, size, shape))
        pred[shift] = label
    return pred, gt


def write_png(path, array):
    from PIL import Image

    Image.fromarray(np.ascontiguousarray(array)).save(path)


def write_nifti(path, array, spacing):
    import nibabel

    nibabel.save(nibabel.Nifti1Image(array, np.diag([*spacing, 1.0])), str(path))


def make_folders(root):
    preds, gts = root / "preds", root / "gts"
    preds.mkdir(exist_ok=True)
    gts.mkdir(exist_ok=True)
    return preds, gts


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def read_summary(path):
    return json.loads(path.read_text())


def value(row, metric):
    return float(row[metric])


def same(a, b):
    """Equal floats, NaN equal to NaN."""
    return (math.isnan(a) and math.isnan(b)) or a == b


def score_or_die(case, settings):
    """A worker that kills its own process on cases named ``die*``, else scores normally."""
    if case.name.startswith("die"):
        os._exit(1)
    from segmetrics.evaluation import score_case

    return score_case(case, settings)


def slow_score(case, settings):
    """Score normally after a pause, so that a test can kill a worker mid-run."""
    import time

    from segmetrics.evaluation import score_case

    time.sleep(0.3)
    return score_case(case, settings)


def fail_on_worker(case, settings):
    """A worker function that raises (as a worker lacking a package would)."""
    raise RuntimeError(f"no scorer here for {case.name}")


def sleep_on_slow(case, settings):
    """A worker task that never ends on cases named ``slow*``."""
    if case.name.startswith("slow"):
        time.sleep(600)
    from segmetrics.evaluation import score_case

    return score_case(case, settings)


def pause_or_die(case, settings):
    """A worker task that dies at once on ``die*`` and else takes a second, so that other
    cases are in flight when it dies."""
    if "die" in case.name:
        os._exit(1)
    time.sleep(1.0)
    from segmetrics.evaluation import score_case

    return score_case(case, settings)
