"""The read path keeps each file's memory layout: no whole-volume transposing copy."""
import numpy as np
import pytest
from cli_helpers import make_folders, write_nifti

import segmetrics
from segmetrics import io

nibabel = pytest.importorskip("nibabel")


def _pair(shape=(12, 10, 6), seed=0):
    rng = np.random.default_rng(seed)
    gt = (rng.random(shape) > 0.6).astype(np.uint8) * 2
    pred = np.where(rng.random(shape) > 0.8, 0, gt).astype(np.uint8)
    return pred, gt


@pytest.mark.parametrize("inflater", ["isal", "nibabel"])
def test_nifti_reads_in_fortran_order_without_a_copy_and_equal_values(tmp_path, monkeypatch,
                                                                      inflater):
    if inflater == "nibabel":
        monkeypatch.setattr(io, "_inflate_nifti", lambda proxy, path: None)
    else:
        pytest.importorskip("isal")
    _, gt = _pair()
    gt[0, 0, 0], gt[-1, -1, -1] = 7, 9  # the first and the last voxel in the file
    path = tmp_path / "m.nii.gz"
    write_nifti(path, gt, (0.8, 0.8, 2.5))
    labels = io.read_mask(path).labels
    assert labels.flags.f_contiguous and not labels.flags.c_contiguous
    assert labels.flags.writeable
    np.testing.assert_array_equal(labels, gt)


def test_isal_inflater_falls_back_for_scaled_voxels(tmp_path):
    pytest.importorskip("isal")
    _, gt = _pair()
    image = nibabel.Nifti1Image(gt.astype(np.int16), np.diag([1.0, 1.0, 1.0, 1.0]))
    image.header.set_slope_inter(2.0, 0.0)
    nibabel.save(image, str(tmp_path / "s.nii.gz"))
    proxy = nibabel.load(str(tmp_path / "s.nii.gz")).dataobj
    assert io._inflate_nifti(proxy, tmp_path / "s.nii.gz") is None
    np.testing.assert_array_equal(io.read_mask(tmp_path / "s.nii.gz").labels, gt * 2)


def test_fortran_npy_keeps_its_layout(tmp_path):
    _, gt = _pair()
    np.save(tmp_path / "f.npy", np.asfortranarray(gt))
    labels = io.read_mask(tmp_path / "f.npy").labels
    assert labels.flags.f_contiguous and not labels.flags.c_contiguous


def test_mixed_layouts_and_dtypes_score_as_c_order(tmp_path):
    """A Fortran-ordered NIfTI prediction against a C-ordered int32 .npy ground truth."""
    pred, gt = _pair()
    preds, gts = make_folders(tmp_path)
    write_nifti(preds / "a.nii.gz", pred, (1.0, 1.0, 1.0))
    np.save(gts / "a.npy", np.ascontiguousarray(gt, dtype=np.int32))
    # the case name is the stem; both files have stem "a"
    result = segmetrics.evaluate_folder(preds, gts, metrics=["dice", "hd95", "assd"], jobs=1,
                                        n_resamples=0)
    (record,) = result.records
    assert record.status == "ok"
    assert record.values["dice"] == pytest.approx(segmetrics.dice(pred, gt, labels=[2])[0],
                                                  rel=1e-15)
    assert record.values["hd95"] == pytest.approx(
        segmetrics.hd95(np.ascontiguousarray(pred == 2), np.ascontiguousarray(gt == 2)),
        rel=1e-12)


def test_nrrd_and_tiff_keep_the_layout_they_are_read_in(tmp_path):
    _, gt = _pair()
    nrrd = pytest.importorskip("nrrd")
    nrrd.write(str(tmp_path / "m.nrrd"), gt)  # pynrrd's default: Fortran index order
    labels = io.read_mask(tmp_path / "m.nrrd").labels
    assert labels.flags.f_contiguous and not labels.flags.c_contiguous
    np.testing.assert_array_equal(labels, gt)
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(tmp_path / "m.tif", gt, photometric="minisblack")
    labels = io.read_mask(tmp_path / "m.tif").labels
    assert labels.flags.c_contiguous
    np.testing.assert_array_equal(labels, gt)
