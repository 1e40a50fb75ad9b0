"""segmetrics.io: formats, spacing and the mask-encoding rules."""
import subprocess
import sys

import numpy as np
import pytest

from segmetrics.io import MaskError, parse_colormap, read_mask, split_extension

Image = pytest.importorskip("PIL.Image")

LABELS = np.array([[0, 0, 1, 1, 2],
                   [0, 3, 3, 1, 2],
                   [4, 4, 0, 0, 2]], dtype=np.uint8)
BINARY = (LABELS > 0).astype(np.uint8)


def test_import_segmetrics_does_not_import_readers():
    code = ("import sys, segmetrics; heavy = [m for m in ('nibabel', 'PIL', 'tifffile', 'tqdm', "
            "'nrrd', 'SimpleITK') if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


@pytest.mark.parametrize("name, expected", [
    ("a.nii.gz", ("a", ".nii.gz")), ("a.b.NII", ("a.b", ".nii")), ("x.png", ("x", ".png")),
    ("notes.txt", ("notes.txt", "")), (".png", (".png", "")),
])
def test_split_extension(name, expected):
    assert split_extension(name) == expected


def test_greyscale_labels(tmp_path):
    Image.fromarray(LABELS).save(tmp_path / "m.png")
    mask = read_mask(tmp_path / "m.png")
    assert mask.labels.tolist() == LABELS.tolist() and mask.spacing is None


def test_0_255_is_label_1(tmp_path):
    Image.fromarray(BINARY * 255).save(tmp_path / "m.png")
    assert read_mask(tmp_path / "m.png").labels.tolist() == BINARY.tolist()


def test_16_bit_0_65535_is_label_1(tmp_path):
    Image.fromarray(BINARY.astype(np.uint16) * 65535).save(tmp_path / "m.png")
    assert read_mask(tmp_path / "m.png").labels.tolist() == BINARY.tolist()


def test_palette_indices_are_labels(tmp_path):
    image = Image.frombytes("P", LABELS.shape[::-1], LABELS.tobytes())
    palette = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0, 0, 0, 128] + [0] * (3 * 251)
    image.putpalette(palette)
    image.save(tmp_path / "voc.png")
    with Image.open(tmp_path / "voc.png") as written:
        assert written.mode == "P"
    assert read_mask(tmp_path / "voc.png").labels.tolist() == LABELS.tolist()


def test_palette_255_stays_255(tmp_path):
    # VOC marks boundaries with index 255: a palette index is a label, never binarised.
    array = np.where(LABELS == 4, 255, LABELS).astype(np.uint8)
    image = Image.frombytes("P", array.shape[::-1], array.tobytes())
    image.putpalette([0, 0, 0] * 256)
    image.save(tmp_path / "voc.png")
    assert read_mask(tmp_path / "voc.png").labels.tolist() == array.tolist()


def test_one_bit(tmp_path):
    Image.fromarray(BINARY.astype(bool)).save(tmp_path / "m.png")
    with Image.open(tmp_path / "m.png") as written:
        assert written.mode == "1"
    assert read_mask(tmp_path / "m.png").labels.tolist() == BINARY.tolist()


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_equal_channels_read_as_grey(tmp_path, mode):
    Image.fromarray(LABELS).convert(mode).save(tmp_path / "m.png")
    assert read_mask(tmp_path / "m.png").labels.tolist() == LABELS.tolist()


def _coloured():
    colours = {0: (0, 0, 0), 1: (255, 0, 0), 2: (0, 255, 0), 3: (0, 0, 255), 4: (255, 255, 0)}
    rgb = np.zeros(LABELS.shape + (3,), dtype=np.uint8)
    for label, colour in colours.items():
        rgb[LABELS == label] = colour
    table = ";".join(f"{k}={','.join(map(str, v))}" for k, v in colours.items() if k)
    return rgb, table


def test_coloured_rgb_needs_a_colormap(tmp_path):
    rgb, table = _coloured()
    Image.fromarray(rgb).save(tmp_path / "m.png")
    with pytest.raises(MaskError, match="--colormap"):
        read_mask(tmp_path / "m.png")
    assert read_mask(tmp_path / "m.png", colormap=table).labels.tolist() == LABELS.tolist()
    with pytest.raises(MaskError, match="not in the colormap"):
        read_mask(tmp_path / "m.png", colormap="1=255,0,0")


def test_colormap_from_json_file(tmp_path):
    (tmp_path / "map.json").write_text('{"2": [0, 255, 0]}')
    assert parse_colormap(str(tmp_path / "map.json")) == {(0, 0, 0): 0, (0, 255, 0): 2}
    with pytest.raises(ValueError, match="R,G,B"):
        parse_colormap("1=red")


def test_jpeg_is_refused_without_threshold(tmp_path):
    Image.fromarray(BINARY * 255).save(tmp_path / "m.jpg", quality=95)
    with pytest.raises(MaskError, match="lossy"):
        read_mask(tmp_path / "m.jpg")
    with pytest.warns(UserWarning, match="JPEG"):
        mask = read_mask(tmp_path / "m.jpg", threshold=128)
    assert mask.labels.tolist() == BINARY.tolist()


def test_float_arrays(tmp_path):
    np.save(tmp_path / "whole.npy", LABELS.astype(np.float32))
    assert read_mask(tmp_path / "whole.npy").labels.tolist() == LABELS.tolist()
    probability = np.linspace(0, 1, 15).reshape(3, 5)
    np.save(tmp_path / "p.npy", probability)
    with pytest.raises(MaskError, match="threshold"):
        read_mask(tmp_path / "p.npy")
    labels = read_mask(tmp_path / "p.npy", threshold=0.5).labels
    assert labels.tolist() == (probability >= 0.5).astype(int).tolist()


def test_npy_npz_and_spacing(tmp_path):
    volume = np.zeros((4, 5, 6), dtype=np.int32)
    volume[1:3, 2:4, 1:5] = 7
    np.save(tmp_path / "v.npy", volume)
    np.savez_compressed(tmp_path / "v.npz", labels=volume)
    for name in ("v.npy", "v.npz"):
        mask = read_mask(tmp_path / name, spacing=(2, 1, 0.5))
        assert np.array_equal(mask.labels, volume) and mask.spacing == (2.0, 1.0, 0.5)
    with pytest.raises(MaskError, match="spacing has 2 values"):
        read_mask(tmp_path / "v.npy", spacing=(1, 1))
    np.savez(tmp_path / "two.npz", a=volume, b=volume)
    with pytest.raises(MaskError, match="exactly one array"):
        read_mask(tmp_path / "two.npz")
    np.save(tmp_path / "neg.npy", -volume)
    with pytest.raises(MaskError, match="negative"):
        read_mask(tmp_path / "neg.npy")


def test_nifti_spacing_and_orientation(tmp_path):
    nibabel = pytest.importorskip("nibabel")
    volume = np.zeros((4, 5, 6), dtype=np.uint8)
    volume[1:3, 1:4, 2:5] = 2
    affine = np.diag([3.0, 0.7, 0.9, 1.0])
    affine[:3, 3] = (10, -4, 2)
    nibabel.save(nibabel.Nifti1Image(volume, affine), tmp_path / "v.nii.gz")
    mask = read_mask(tmp_path / "v.nii.gz")
    assert np.array_equal(mask.labels, volume)
    assert mask.spacing == pytest.approx((3.0, 0.7, 0.9))
    assert np.allclose(mask.direction, np.eye(3)) and np.allclose(mask.origin, (10, -4, 2))
    # A trailing singleton axis (x, y, z, 1) is dropped.
    nibabel.save(nibabel.Nifti1Image(volume[..., None], affine), tmp_path / "v4.nii.gz")
    assert read_mask(tmp_path / "v4.nii.gz").labels.shape == volume.shape
    # Labels stored as scaled floats come back as integers.
    nibabel.save(nibabel.Nifti1Image(volume.astype(np.float32), affine), tmp_path / "f.nii")
    assert read_mask(tmp_path / "f.nii").labels.dtype.kind == "u"


def test_tiff_stack_is_3d(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    volume = np.zeros((5, 6, 7), dtype=np.uint8)
    volume[1:4, 2:5, 3:6] = 3
    tifffile.imwrite(tmp_path / "stack.tif", volume)
    assert np.array_equal(read_mask(tmp_path / "stack.tif").labels, volume)
    tifffile.imwrite(tmp_path / "rgb.tif", np.stack([LABELS] * 3, axis=-1), photometric="rgb")
    assert read_mask(tmp_path / "rgb.tif").labels.tolist() == LABELS.tolist()


def test_tiff_three_slices_written_as_rgb_is_explained(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    volume = np.zeros((3, 6, 7), dtype=np.uint8)
    volume[0, 1:3, 1:3] = 1
    volume[2, 2:5, 2:6] = 2
    tifffile.imwrite(tmp_path / "rgb.tif", volume, photometric="rgb", planarconfig="separate")
    with pytest.raises(MaskError, match="photometric='minisblack'"):
        read_mask(tmp_path / "rgb.tif")
    tifffile.imwrite(tmp_path / "grey.tif", volume, photometric="minisblack")
    assert np.array_equal(read_mask(tmp_path / "grey.tif").labels, volume)


def test_nrrd_spacing(tmp_path):
    nrrd = pytest.importorskip("nrrd")
    volume = np.zeros((4, 5, 6), dtype=np.uint8)
    volume[1:3, 1:4, 2:5] = 1
    header = {"space": "left-posterior-superior",
              "space directions": np.diag([1.5, 0.5, 2.0]), "space origin": np.zeros(3)}
    nrrd.write(str(tmp_path / "v.nrrd"), volume, header)
    mask = read_mask(tmp_path / "v.nrrd")
    assert np.array_equal(mask.labels, volume) and mask.spacing == pytest.approx((1.5, 0.5, 2.0))


def test_mha_spacing(tmp_path):
    sitk = pytest.importorskip("SimpleITK")
    volume = np.zeros((4, 5, 6), dtype=np.uint8)
    volume[1:3, 1:4, 2:5] = 1
    image = sitk.GetImageFromArray(volume)
    image.SetSpacing((0.5, 0.8, 3.0))  # x, y, z: reversed relative to the array axes
    sitk.WriteImage(image, str(tmp_path / "v.mha"))
    mask = read_mask(tmp_path / "v.mha")
    assert np.array_equal(mask.labels, volume) and mask.spacing == pytest.approx((3.0, 0.8, 0.5))


def test_unreadable_and_unknown_files(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(MaskError, match="bad.png: cannot read"):
        read_mask(tmp_path / "bad.png")
    (tmp_path / "x.gif").write_bytes(b"GIF89a")
    with pytest.raises(MaskError, match="unknown mask extension"):
        read_mask(tmp_path / "x.gif")
    with pytest.raises(MaskError, match="cannot read"):
        read_mask(tmp_path / "absent.nii.gz")
