"""Hostile folders and faults (issue 14): odd names, links, bombs, FIFOs, hung and dying workers.

Every test is bounded: subprocesses and waits have timeouts, declared sizes are
checked with small limits, nothing allocates a hostile file's claimed size.
"""
import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
from cli_helpers import (blob_pair, make_folders, pause_or_die, read_csv, run_cli, sleep_on_slow,
                         write_png)

import segmetrics
from segmetrics import evaluate
from segmetrics.evaluation import Options, runners
from segmetrics.io import MaskError, read_mask

# the folder holding the segmetrics under test (installed, or a checkout on PYTHONPATH)
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(segmetrics.__file__)))

pytest.importorskip("PIL")


def _pair(root, name, array=None):
    preds, gts = make_folders(root)
    array = np.array([[0, 1], [1, 1]], dtype=np.uint8) if array is None else array
    for folder in (preds, gts):
        with open(os.path.join(os.fsencode(folder), os.fsencode(name)), "wb") as handle:
            np.save(handle, array)
    return preds, gts


# -- 1. names that are not UTF-8 -------------------------------------------------------------

@pytest.mark.skipif(sys.platform != "linux", reason="byte file names")
def test_a_non_utf8_name_becomes_one_escaped_row(tmp_path):
    preds, gts = _pair(tmp_path, b"bad\xff.npy")
    _pair(tmp_path, b"good.npy")
    out = tmp_path / "out"
    done = run_cli(preds, gts, "--out", out, "--metrics", "dice", "-j", "1",
                   "--bootstrap-resamples", "0", timeout=120)
    assert done.returncode == 0, done.stderr
    rows = read_csv(out / "metrics.csv")
    assert [(r["case"], r["status"]) for r in rows] == [("bad\\xff", "ok"), ("good", "ok")]
    assert json.loads((out / "summary.json").read_text())["n_cases"] == 2
    again = run_cli(preds, gts, "--out", out, "--metrics", "dice", "-j", "1", "--resume",
                    "--bootstrap-resamples", "0", timeout=120)
    assert again.returncode == 0, again.stderr


# -- 2. symbolic-link loops ------------------------------------------------------------------

def test_a_symlink_loop_is_an_error_row_and_the_rest_is_scored(tmp_path):
    preds, gts = _pair(tmp_path, "ok.npy")
    os.symlink("loop.npy", gts / "loop.npy")
    result = evaluate.evaluate_folder(preds, gts, metrics=["dice"], n_resamples=0)
    rows = {r.case: r for r in result.records}
    assert rows["ok"].status == "ok"
    assert rows["loop"].status == "error"
    assert "symbolic links" in rows["loop"].error


# -- 6. size limits before allocating --------------------------------------------------------

def _nifti_claiming(path, shape):
    nibabel = pytest.importorskip("nibabel")
    header = nibabel.Nifti1Header()
    header.set_data_shape(shape)
    header.set_data_dtype(np.uint8)
    header["vox_offset"] = 352
    with gzip.open(path, "wb") as handle:
        handle.write(header.binaryblock + b"\0" * 4 + b"\1" * 64)


def _npy_header(shape):
    from numpy.lib import format as npy

    import io as _io
    buffer = _io.BytesIO()
    npy.write_array_header_1_0(buffer, {"descr": "|u1", "fortran_order": False,
                                        "shape": shape})
    return buffer.getvalue()


def _hostile(tmp_path, kind):
    """A small file whose header claims 1024 x 1024 x 3072 voxels (3 GiB)."""
    claim = (1024, 1024, 3072)
    if kind == "nii.gz":
        path = tmp_path / "bomb.nii.gz"
        _nifti_claiming(path, claim)
    elif kind == "npy":
        path = tmp_path / "bomb.npy"
        path.write_bytes(_npy_header(claim) + b"\1" * 64)
    elif kind == "npz":
        path = tmp_path / "bomb.npz"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("arr_0.npy", _npy_header(claim) + b"\0" * (1 << 20))
    elif kind == "tif":
        tifffile = pytest.importorskip("tifffile")
        path = tmp_path / "bomb.tif"
        tifffile.imwrite(path, np.zeros((64, 64, 64), np.uint8), compression="zlib")
    else:
        path = tmp_path / "bomb.png"
        write_png(path, np.zeros((300, 300), np.uint8))
    return path


@pytest.mark.parametrize("kind", ["nii.gz", "npy", "npz", "tif", "png"])
def test_a_file_declaring_too_many_voxels_is_refused_before_reading(tmp_path, kind):
    path = _hostile(tmp_path, kind)
    # In a child with 1.5 GiB of address space: a reader that allocates the claim fails there.
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (3 << 29, 3 << 29))
        from segmetrics.io import MaskError, read_mask
        try:
            read_mask({str(path)!r}, max_voxels=10_000)
        except MaskError as exc:
            print(exc)
            sys.exit(0)
        sys.exit(3)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "more than the limit of 10,000" in done.stdout


@pytest.mark.parametrize("encoding", ["gzip", "bzip2"])
def test_compressed_nrrd_data_is_inflated_up_to_its_declared_size_only(tmp_path, encoding):
    import bz2

    pytest.importorskip("nrrd")
    pack = gzip.compress if encoding == "gzip" else bz2.compress
    header = f"NRRD0004\ntype: uint8\ndimension: 2\nsizes: 4 4\nencoding: {encoding}\n\n"
    (tmp_path / "bomb.nrrd").write_bytes(header.encode() + pack(bytes(16 << 20)))
    with pytest.raises(MaskError, match="inflates beyond the declared size"):
        read_mask(tmp_path / "bomb.nrrd")
    (tmp_path / "fine.nrrd").write_bytes(header.encode() + pack(bytes(range(16))))
    assert read_mask(tmp_path / "fine.nrrd").labels.sum() == sum(range(16))


def test_the_voxel_limit_is_an_error_row_on_the_command_line(tmp_path):
    preds, gts = make_folders(tmp_path)
    for name, size in (("big", 64), ("small", 4)):
        pred, gt = blob_pair((size, size), (1,), seed=size)
        np.save(preds / f"{name}.npy", pred)
        np.save(gts / f"{name}.npy", gt)
    done = run_cli(preds, gts, "--out", tmp_path / "out", "--metrics", "dice", "-j", "1",
                   "--max-voxels", "100", "--bootstrap-resamples", "0", timeout=120)
    assert done.returncode == 1, done.stderr
    rows = {r["case"]: r for r in read_csv(tmp_path / "out" / "metrics.csv")}
    assert rows["big"]["status"] == "error" and "--max-voxels" in rows["big"]["error"]
    assert rows["small"]["status"] != "error"


def test_the_default_voxel_limit_is_shared_by_the_workers():
    from segmetrics.io import default_max_voxels

    one, eight = default_max_voxels(1), default_max_voxels(8)
    assert one >= eight >= 1 << 24
    assert one > 1 << 24  # any machine running the tests has more than 512 MiB


# -- 3. detached data files and FIFOs --------------------------------------------------------

def _read_in_child(path, timeout=60):
    """read_mask in a child process; a reader that blocks fails the test instead of hanging."""
    code = (f"from segmetrics.io import MaskError, read_mask\n"
            f"try:\n    read_mask({str(path)!r})\nexcept MaskError as exc:\n"
            f"    print(exc)\nelse:\n    print('READ')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _nhdr(path, data_file):
    path.write_text(f"NRRD0004\ntype: uint8\ndimension: 2\nsizes: 4 4\nencoding: raw\n"
                    f"data file: {data_file}\n\n")


def test_a_detached_nrrd_may_not_read_outside_its_folder(tmp_path):
    pytest.importorskip("nrrd")
    secret = tmp_path / "secret.raw"
    secret.write_bytes(bytes(range(16)))
    folder = tmp_path / "case"
    folder.mkdir()
    _nhdr(folder / "abs.nhdr", secret)
    _nhdr(folder / "up.nhdr", "../secret.raw")
    os.symlink(secret, folder / "link.raw")
    _nhdr(folder / "link.nhdr", "link.raw")
    for name in ("abs.nhdr", "up.nhdr", "link.nhdr"):
        with pytest.raises(MaskError, match="data file"):
            read_mask(folder / name)
    (folder / "inside.raw").write_bytes(bytes(16))
    _nhdr(folder / "inside.nhdr", "inside.raw")
    assert read_mask(folder / "inside.nhdr").labels.shape == (4, 4)


def test_a_fifo_is_refused_not_read(tmp_path):
    pytest.importorskip("nrrd")
    os.mkfifo(tmp_path / "pipe.raw")
    _nhdr(tmp_path / "fifo.nhdr", "pipe.raw")
    assert "not a regular file" in _read_in_child(tmp_path / "fifo.nhdr")
    os.mkfifo(tmp_path / "mask.npy")
    assert "not a regular file" in _read_in_child(tmp_path / "mask.npy")


def test_a_metaimage_data_file_must_be_inside_its_folder(tmp_path):
    pytest.importorskip("SimpleITK")
    (tmp_path / "secret.raw").write_bytes(bytes(range(16)))
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "v.mhd").write_text(
        "ObjectType = Image\nNDims = 2\nDimSize = 4 4\nElementType = MET_UCHAR\n"
        "ElementDataFile = ../secret.raw\n")
    with pytest.raises(MaskError, match="ElementDataFile"):
        read_mask(folder / "v.mhd")


def test_a_case_whose_reading_hangs_becomes_an_error_row(tmp_path, monkeypatch):
    import threading

    preds, gts = _pair(tmp_path, "hang.npy")
    _pair(tmp_path, "ok.npy")
    release = threading.Event()
    real = runners.mask_reader

    def reader(options):
        read = real(options)

        def hanging(path):
            if os.path.basename(path).startswith("hang"):
                release.wait(60)
            return read(path)
        return hanging

    monkeypatch.setattr(runners, "mask_reader", reader)
    cases, _ = evaluate.match_cases(preds, gts)
    results = []
    start = time.monotonic()
    runners.run_cases(cases, Options.build(metrics=("dice",), case_timeout=0.5), 1,
                      results.append)
    release.set()
    assert time.monotonic() - start < 30
    status = {r.name: r.records[0] for r in results}
    assert status["hang"].status == "error" and "case timeout" in status["hang"].error
    assert status["ok"].status == "ok", status["ok"].error


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    preds, gts = make_folders(root)
    for i, name in enumerate(["a0", "a1", "a2", "a3_die", "a4", "a5", "a6", "a7", "a8", "slow9"]):
        pred, gt = blob_pair((16, 16), (1,), seed=300 + i)
        write_png(preds / f"{name}.png", pred)
        write_png(gts / f"{name}.png", gt)
    return root


def test_a_case_that_outlives_the_timeout_in_a_worker_is_an_error_row(folder, monkeypatch):
    monkeypatch.setattr(runners, "_TIMEOUT_SLACK", 6.0)
    monkeypatch.setattr(runners, "chunks", lambda cases, jobs: [[c] for c in cases])
    cases, _ = evaluate.match_cases(folder / "preds", folder / "gts")
    cases = [c for c in cases if "die" not in c.name]
    results = []
    runners.run_cases(cases, Options.build(metrics=("dice",), labels=(1,), case_timeout=1),
                      2, results.append, work=sleep_on_slow)
    status = {r.name: r.records[0] for r in results}
    assert sorted(status) == sorted(c.name for c in cases)
    assert "case timeout" in status.pop("slow9").error
    assert all(r.status != "error" for r in status.values())


# -- 22. a dying worker: bulk retry, the pool kept -------------------------------------------

def test_after_a_worker_dies_the_cases_in_flight_are_retried_in_bulk(folder, monkeypatch):
    import concurrent.futures

    made = []
    real = concurrent.futures.ProcessPoolExecutor

    def counting(*args, **kwargs):
        made.append(kwargs.get("max_workers"))
        return real(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", counting)
    monkeypatch.setattr(runners, "chunks",
                        lambda cases, jobs: [cases[i:i + 2] for i in range(0, len(cases), 2)])
    cases, _ = evaluate.match_cases(folder / "preds", folder / "gts")
    cases = [c for c in cases if not c.name.startswith("slow")]
    results = []
    runners.run_cases(cases, Options.build(metrics=("dice",), labels=(1,)), 2, results.append,
                      work=pause_or_die)
    status = {r.name: r.records[0].status for r in results}
    assert sorted(status) == sorted(c.name for c in cases)
    assert status.pop("a3_die") == "error"
    assert "error" not in status.values()
    # The first pool, one for the bulk retry, one for the rest after the dying case broke
    # that, one single-worker pool for the cases in flight at the second break and one more
    # after the dying case broke that: never one pool per case in flight (10 here before).
    assert len(made) <= 5, made


# -- 5. workers exit with their parent -------------------------------------------------------

def _alive(pid):
    try:
        with open(f"/proc/{pid}/status") as handle:
            return "\nState:\tZ" not in handle.read()
    except FileNotFoundError:
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_exit_when_the_main_process_is_killed(tmp_path, how):
    preds, gts = make_folders(tmp_path)
    for i in range(4):
        np.save(preds / f"c{i}.npy", np.ones((2, 2), np.uint8))
        np.save(gts / f"c{i}.npy", np.ones((2, 2), np.uint8))
    pids = tmp_path / "pids"
    pids.mkdir()
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent(f"""
        import os, time
        from segmetrics import evaluate
        from segmetrics.evaluation import Options, runners

        def park(case, settings):
            open(os.path.join({str(pids)!r}, str(os.getpid())), "w").close()
            time.sleep(600)

        if __name__ == "__main__":
            runners.chunks = lambda cases, jobs: [[c] for c in cases]
            cases, _ = evaluate.match_cases({str(preds)!r}, {str(gts)!r})
            runners.run_cases(cases, Options.build(metrics=("dice",)), 2, print, work=park)
    """))
    main = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ,
                                                            "PYTHONPATH": PACKAGE_ROOT})
    workers = []
    try:
        deadline = time.monotonic() + 90
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = [int(p) for p in os.listdir(pids)]
        assert len(workers) == 2, "the workers did not start"
        main.send_signal(how)
        main.wait(30)
        deadline = time.monotonic() + 15
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers)
    finally:
        if main.poll() is None:
            main.kill()
        for pid in workers:  # only the test's own workers, if a regression left them
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


# -- 10. the content decides the format ------------------------------------------------------

def test_jpeg_bytes_in_a_png_file_are_read_as_jpeg(tmp_path):
    from PIL import Image

    Image.fromarray(np.full((16, 16), 255, np.uint8)).save(tmp_path / "m.png", format="JPEG")
    with pytest.raises(MaskError, match="JPEG is lossy"):
        read_mask(tmp_path / "m.png")
    with pytest.warns(UserWarning, match="JPEG mask binarised"):
        assert read_mask(tmp_path / "m.png", threshold=128).labels.all()


def test_a_nifti_name_on_other_content_is_refused(tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "x.nii", format="PNG")
    with pytest.raises(MaskError, match="not NIFTI.*it is PNG"):
        read_mask(tmp_path / "x.nii")


# -- 17. usage errors: one line, exit 2 ------------------------------------------------------

def test_bad_output_and_report_paths_are_usage_errors(tmp_path):
    preds, gts = _pair(tmp_path, "a.npy")
    blocker = tmp_path / "file"
    blocker.write_text("")
    for extra in (["--out", blocker / "sub"],
                  ["--out", tmp_path / "out", "--report", tmp_path],
                  ["--out", tmp_path / "out2", "--report", tmp_path / "no" / "r.html"]):
        done = run_cli(preds, gts, "--metrics", "dice", "-q", *extra, timeout=120)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "no").exists()


def test_an_unreadable_input_folder_is_a_usage_error(tmp_path, monkeypatch):
    preds, gts = _pair(tmp_path, "a.npy")

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    from segmetrics.evaluation import matching

    monkeypatch.setattr(matching.os, "scandir", refuse)
    with pytest.raises(evaluate.UsageError, match="cannot read the prediction folder"):
        evaluate.match_cases(preds, gts)


# -- 18. compare accepts the --resume it suggests --------------------------------------------

def test_compare_accepts_resume(tmp_path):
    preds, gts = _pair(tmp_path, "a.npy")
    args = [preds, preds, gts, "--out", tmp_path / "cmp", "--metrics", "dice", "-q",
            "--bootstrap-resamples", "0"]
    assert run_cli("compare", *args, timeout=120).returncode == 0
    second = run_cli("compare", *args, timeout=120)
    assert second.returncode == 2 and "--resume" in second.stderr
    assert run_cli("compare", *args, "--resume", timeout=120).returncode == 0


# -- 19. messages that say what is wrong with the file ---------------------------------------

def test_a_non_finite_pixdim_is_named(tmp_path):
    nibabel = pytest.importorskip("nibabel")
    image = nibabel.Nifti1Image(np.ones((4, 4, 2), np.uint8), np.eye(4))
    image.header["pixdim"][1:4] = [np.nan, 1.0, np.inf]
    nibabel.save(image, str(tmp_path / "v.nii.gz"))
    with pytest.raises(MaskError, match="spacing .* is not finite"):
        read_mask(tmp_path / "v.nii.gz")
    assert read_mask(tmp_path / "v.nii.gz", spacing=(1, 1, 1)).spacing == (1.0, 1.0, 1.0)


def test_a_0d_npy_and_a_corrupt_tiff_are_named(tmp_path):
    np.save(tmp_path / "s.npy", np.uint8(3))
    with pytest.raises(MaskError, match="0-d"):
        read_mask(tmp_path / "s.npy")
    pytest.importorskip("tifffile")
    (tmp_path / "c.tif").write_bytes(b"II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00")
    with pytest.raises(MaskError) as info:
        read_mask(tmp_path / "c.tif")
    assert "IndexError" not in str(info.value) and "c.tif" in str(info.value)


# -- 20. the hint names the extra that holds the reader --------------------------------------

def test_the_nrrd_hint_names_io_extra(tmp_path, monkeypatch):
    (tmp_path / "v.nrrd").write_bytes(b"NRRD0004\n")
    monkeypatch.setitem(sys.modules, "nrrd", None)
    with pytest.raises(MaskError, match=r"segmetrics\[io-extra\]"):
        read_mask(tmp_path / "v.nrrd")
