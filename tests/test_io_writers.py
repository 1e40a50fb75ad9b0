"""The reader gives the same labels whichever tool wrote the mask.

PIL, OpenCV, matplotlib, scikit-image and imageio write the same mask
differently (palette or greyscale, BGR channel order, RGBA with a colour map,
1-bit); each writer below writes one binary mask and one label map, and
read_mask must return the same labels for all of them.
"""
import numpy as np
import pytest

from segmetrics.io import read_mask

pytest.importorskip("PIL")

LABELS = np.zeros((20, 24), dtype=np.uint8)
LABELS[2:9, 3:12] = 1
LABELS[11:18, 5:9] = 2
LABELS[4:15, 15:22] = 3
BINARY = (LABELS > 0).astype(np.uint8)
COLOURS = {1: (255, 0, 0), 2: (0, 255, 0), 3: (0, 0, 255)}
COLORMAP = ";".join(f"{k}={r},{g},{b}" for k, (r, g, b) in COLOURS.items())


def _rgb(labels):
    rgb = np.zeros(labels.shape + (3,), dtype=np.uint8)
    for label, colour in COLOURS.items():
        rgb[labels == label] = colour
    return rgb


def _pil_grey(path, array):
    from PIL import Image

    Image.fromarray(array).save(path)


def _pil_binary_255(path, array):
    from PIL import Image

    Image.fromarray(array * 255).save(path)


def _pil_one_bit(path, array):
    from PIL import Image

    Image.fromarray(array.astype(bool)).save(path)


def _pil_palette(path, array):
    from PIL import Image

    image = Image.frombytes("P", array.shape[::-1], array.tobytes())
    image.putpalette([0, 0, 0, *COLOURS[1], *COLOURS[2], *COLOURS[3]] + [0] * (3 * 252))
    image.save(path)


def _cv2(module_name):
    return pytest.importorskip(module_name)


def _opencv_grey(path, array):
    assert _cv2("cv2").imwrite(str(path), array)


def _opencv_binary_255(path, array):
    assert _cv2("cv2").imwrite(str(path), array * 255)


def _opencv_16_bit(path, array):
    assert _cv2("cv2").imwrite(str(path), array.astype(np.uint16))


def _matplotlib_gray(path, array):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # RGBA, each channel = value / 255 through the grey colour map: the labels survive.
    plt.imsave(path, array, cmap="gray", vmin=0, vmax=255)


def _matplotlib_binary(path, array):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # A float 0/1 mask, normalised to black and white: RGBA {0, 255}.
    plt.imsave(path, array.astype(np.float64), cmap="gray")


def _skimage(path, array):
    skimage_io = pytest.importorskip("skimage.io")
    skimage_io.imsave(path, array, check_contrast=False)


def _imageio(path, array):
    iio = pytest.importorskip("imageio.v3")
    iio.imwrite(path, array)


def _tifffile(path, array):
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(path, array)


LABEL_WRITERS = {
    "pil_grey": _pil_grey, "pil_palette": _pil_palette, "opencv_grey": _opencv_grey,
    "opencv_16_bit": _opencv_16_bit, "matplotlib_gray": _matplotlib_gray, "skimage": _skimage,
    "imageio": _imageio, "tifffile": _tifffile,
}
BINARY_WRITERS = {
    **LABEL_WRITERS, "pil_binary_255": _pil_binary_255, "pil_one_bit": _pil_one_bit,
    "opencv_binary_255": _opencv_binary_255, "matplotlib_binary": _matplotlib_binary,
}


def _suffix(name):
    return ".tif" if name == "tifffile" else ".png"


@pytest.mark.parametrize("writer", sorted(LABEL_WRITERS))
def test_label_map_reads_back_identically(tmp_path, writer):
    path = tmp_path / f"mask{_suffix(writer)}"
    LABEL_WRITERS[writer](path, LABELS)
    labels = read_mask(path).labels
    assert labels.shape == LABELS.shape
    assert np.array_equal(labels, LABELS), writer


@pytest.mark.parametrize("writer", sorted(BINARY_WRITERS))
def test_binary_mask_reads_back_as_label_1(tmp_path, writer):
    path = tmp_path / f"mask{_suffix(writer)}"
    BINARY_WRITERS[writer](path, BINARY)
    labels = read_mask(path).labels
    assert np.array_equal(labels, BINARY), writer


def _colour_pil(path):
    from PIL import Image

    Image.fromarray(_rgb(LABELS)).save(path)


def _colour_opencv(path):
    cv2 = pytest.importorskip("cv2")
    # OpenCV stores BGR: a correctly written colour file swaps the channels on the way in.
    assert cv2.imwrite(str(path), cv2.cvtColor(_rgb(LABELS), cv2.COLOR_RGB2BGR))


def _colour_matplotlib(path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.imsave(path, _rgb(LABELS))


def _colour_imageio(path):
    iio = pytest.importorskip("imageio.v3")
    iio.imwrite(path, _rgb(LABELS))


@pytest.mark.parametrize("writer", [_colour_pil, _colour_opencv, _colour_matplotlib,
                                    _colour_imageio], ids=["pil", "opencv", "matplotlib",
                                                           "imageio"])
def test_colour_mask_reads_back_identically_with_a_colormap(tmp_path, writer):
    path = tmp_path / "mask.png"
    writer(path)
    assert np.array_equal(read_mask(path, colormap=COLORMAP).labels, LABELS)
