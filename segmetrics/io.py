"""Reading segmentation masks and volumes, with their spacing, as integer label maps.

One entry point, :func:`read_mask`, turns a file into a :class:`Mask`: an
integer label array plus the physical spacing (and, for NIfTI, the
orientation) stored with it. The file format is chosen by extension and checked
against the file's first bytes (JPEG bytes in a ``.png`` read as the JPEG they are;
a ``.nii`` holding something else is refused):

============================  ===================  ===========================
extension                     reader               spacing from
============================  ===================  ===========================
``.nii``, ``.nii.gz``         nibabel              the header (``zooms``)
``.npy``, ``.npz``            NumPy                ``spacing=`` (else 1)
``.png``, ``.bmp``            Pillow               ``spacing=`` (else 1)
``.tif``, ``.tiff``           tifffile (3D pages)  ``spacing=`` (else 1)
``.jpg``, ``.jpeg``           Pillow               ``spacing=`` (else 1)
``.nrrd``, ``.nhdr``          pynrrd               the header
``.mha``, ``.mhd``            SimpleITK            the header
============================  ===================  ===========================

The readers are optional dependencies (``pip install segmetrics[io]``) and
are imported only when a file of their format is read. With python-isal
installed, the voxels of a ``.nii.gz`` are inflated by ISA-L's igzip (about
three times faster than zlib); nibabel still reads the header.

Arrays keep the memory layout the reader gives (Fortran order for NIfTI and
NRRD, C order for TIFF and MHA, either for ``.npy``): the metric kernels read
two arrays of one layout in place and copy mixed layouts slab by slab, so no
whole volume is transposed.

Mask encodings (the same labels come back whichever tool wrote the file):

* greyscale values are labels; a 2D image holding only {0, 255} (or {0, 65535}
  in 16 bits) is a binary mask and reads as label 1 (ISIC style);
* palette images: the palette *indices* are the labels (PASCAL VOC);
* 1-bit images read as 0/1; RGB(A) images whose three colour channels are equal
  read as greyscale (alpha is ignored);
* RGB images with colours need a ``colormap`` (colour -> label), else
  :class:`MaskError`;
* floating arrays holding only whole numbers are labels; any other floating
  array is a probability map and needs ``threshold`` (foreground is
  ``value >= threshold``);
* JPEG is lossy: it is refused unless ``threshold`` is given, and then warns.
"""
from __future__ import annotations

import json
import math
import os
import stat
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "MASK_EXTENSIONS", "Mask", "MaskError", "default_max_voxels", "display_name",
    "parse_colormap", "read_mask", "split_extension",
]

#: Extensions recognised as masks, longest first so ``.nii.gz`` wins over ``.gz``.
MASK_EXTENSIONS = (
    ".nii.gz", ".nii", ".npy", ".npz", ".png", ".bmp", ".tiff", ".tif",
    ".jpeg", ".jpg", ".nrrd", ".nhdr", ".mha", ".mhd",
)
_IMAGE_EXTENSIONS = (".png", ".bmp", ".tiff", ".tif", ".jpeg", ".jpg")
_JPEG_EXTENSIONS = (".jpeg", ".jpg")


class MaskError(ValueError):
    """A file cannot be read as a mask; the message names the file and the reason."""


class Mask(NamedTuple):
    """A label map and where it sits in space.

    Attributes
    ----------
    labels : ndarray of int
        Non-negative integer labels (uint8, uint16, int32 or int64).
    spacing : tuple of float or None
        Physical size of a voxel along each array axis; None when the file
        stores none (PNG, NumPy, TIFF) and none was given.
    direction : ndarray or None
        Direction cosines (NIfTI, NRRD, MHA), None otherwise.
    origin : ndarray or None
        Physical position of the first voxel, None when the format has none.
    """

    labels: npt.NDArray[Any]
    spacing: tuple[float, ...] | None
    direction: npt.NDArray[np.float64] | None = None
    origin: npt.NDArray[np.float64] | None = None


class _Raw(NamedTuple):
    """What a format reader returns before decoding: values and how to read them."""

    array: npt.NDArray[Any]
    kind: str  # "grey", "palette", "rgb", "volume"
    spacing: tuple[float, ...] | None = None
    direction: npt.NDArray[np.float64] | None = None
    origin: npt.NDArray[np.float64] | None = None


def split_extension(name: str) -> tuple[str, str]:
    """Split a file name into ``(stem, extension)`` with ``.nii.gz`` as one extension.

    Returns ``(name, "")`` when the extension is not a mask extension.

    Examples
    --------
    >>> split_extension("case_01.nii.gz")
    ('case_01', '.nii.gz')
    >>> split_extension("ISIC_0000000_segmentation.PNG")
    ('ISIC_0000000_segmentation', '.png')
    """
    lower = name.lower()
    for ext in MASK_EXTENSIONS:
        if lower.endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)], ext
    return name, ""


def display_name(name: str) -> str:
    r"""``name`` safe to print and to write as UTF-8: undecodable bytes become ``\xNN``.

    File names are bytes on POSIX; Python keeps the bytes that are not UTF-8 as
    lone surrogates, which no UTF-8 writer accepts. This spells them as escapes.

    Examples
    --------
    >>> display_name(os.fsdecode(b"bad\xff.npy"))
    'bad\\xff.npy'
    """
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def default_max_voxels(workers: int = 1) -> int:
    """The default voxel limit of one mask: about 1/32 of this machine's memory per worker.

    Sized so that ``workers`` processes, each holding two masks of 8-byte labels
    and a copy, stay within half the physical memory; never below 2**24.
    """
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX: assume 8 GiB
        memory = 8 << 30
    return max(1 << 24, int(memory) // (32 * max(1, int(workers))))


def _check_size(shape: Iterable[int], limit: int | None, what: str = "declares") -> None:
    """Refuse a declared shape above ``limit`` voxels before anything is allocated."""
    shape = tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise MaskError(f"the header {what} a negative size {shape}")
    n = 1
    for extent in shape:
        n *= extent
    if limit is not None and n > limit:
        raise MaskError(
            f"the file {what} shape {shape} = {n:,} voxels, more than the limit of "
            f"{int(limit):,} (raise it with --max-voxels / max_voxels=)"
        )


def _inside(folder: Path, name: object, what: str) -> Path:
    """A detached data file named by a header: a regular file inside the header's folder."""
    name = str(name).strip()
    relative = Path(name)
    if not name or relative.is_absolute() or ".." in relative.parts or " " in name:
        raise MaskError(
            f"the header's {what} {name!r} is not a plain file name in the header's folder "
            "(absolute paths, '..', lists and patterns are refused)"
        )
    target = folder / relative
    real, root = os.path.realpath(target), os.path.realpath(folder)
    if os.path.commonpath([real, root]) != root:
        raise MaskError(f"the header's {what} {name!r} leads outside the header's folder")
    try:
        mode = os.stat(real).st_mode
    except OSError as exc:
        raise MaskError(f"the header's {what} {name!r} cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise MaskError(f"the header's {what} {name!r} is not a regular file")
    return target


def _require(module: str, extra_hint: str) -> ModuleType:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MaskError(
            f"reading this file needs the {module!r} package: install it with "
            f"`pip install {extra_hint}`"
        ) from None


def _read_pillow(path: Path, limit: int | None = None) -> _Raw:
    image_module = _require("PIL.Image", "segmetrics[io]")
    with image_module.open(path) as image:
        _check_size(image.size[::-1], limit)
        image.load()
        mode = image.mode
        if mode == "1":
            return _Raw(np.asarray(image, dtype=np.uint8), "grey")
        if mode in ("P", "PA"):
            # Palette indices are the labels; never expand the palette.
            indices = image.getchannel(0) if mode == "PA" else image
            return _Raw(np.array(indices, dtype=np.uint8), "palette")
        if mode in ("L", "LA"):
            return _Raw(np.array(image.getchannel(0)), "grey")
        if mode.startswith("I"):
            return _Raw(np.array(image), "grey")
        if mode == "F":
            return _Raw(np.array(image), "grey")
        if mode in ("RGB", "RGBA", "RGBX"):
            return _Raw(np.array(image)[..., :3], "rgb")
        raise MaskError(f"image mode {mode!r} is not a mask encoding segmetrics reads")


def _read_tiff(path: Path, limit: int | None = None) -> _Raw:
    tifffile = _require("tifffile", "segmetrics[io]")
    with tifffile.TiffFile(path) as tif:
        try:
            series = tif.series[0]
            photometric = getattr(tif.pages[0], "photometric", None)
        except IndexError:
            raise MaskError("the TIFF holds no readable image (no pages): the file is "
                            "damaged or not an image") from None
        _check_size(series.shape, limit)
        array = series.asarray()
        axes = series.axes
    palette = photometric is not None and int(photometric) == 3
    if "S" in axes:
        samples = axes.index("S")
        array = np.moveaxis(array, samples, -1)
        if array.shape[-1] == 1:
            return _Raw(array[..., 0], "grey")
        if array.shape[-1] in (3, 4):
            return _Raw(array[..., :3], "rgb")
        if array.shape[-1] == 2:  # grey + alpha
            return _Raw(array[..., 0], "grey")
        raise MaskError(f"TIFF with {array.shape[-1]} samples per pixel is not a mask encoding")
    return _Raw(array, "palette" if palette else "grey")


def _inflate_nifti(proxy: Any, path: Path) -> npt.NDArray[Any] | None:
    """The voxels of a ``.nii.gz`` inflated by ISA-L's igzip, or None to let nibabel read them.

    nibabel stays the reader of record for the header (shape, dtype, byte order,
    offset, scaling, orientation); this only replaces its gzip stream, about
    three times slower, when python-isal is installed and the file holds plain
    unscaled voxels. The array keeps the file's Fortran order and is read
    straight into its own memory (no second copy). Multi-member or short gzip
    streams fall back to nibabel.
    """
    if not str(path).lower().endswith(".gz") or getattr(proxy, "order", "F") != "F":
        return None
    try:
        from isal import igzip
    except ImportError:
        return None
    if (proxy.slope, proxy.inter) != (1.0, 0.0) or proxy.dtype.hasobject:
        return None
    array = np.empty(proxy.shape, dtype=proxy.dtype, order="F")
    flat = array.reshape(-1, order="F").view(np.uint8)
    opener: Callable[..., Any] = igzip.open  # python-isal leaves it unannotated
    with opener(path, "rb") as handle:
        handle.seek(proxy.offset)
        got = handle.readinto(flat)
    return array if got == flat.size else None


def _read_nifti(path: Path, limit: int | None = None) -> _Raw:
    nibabel = _require("nibabel", "segmetrics[io]")
    image = nibabel.load(path)
    _check_size(image.header.get_data_shape(), limit)
    array = _inflate_nifti(image.dataobj, path)
    if array is None:
        array = np.asanyarray(image.dataobj)
    while array.ndim > 3 and array.shape[-1] == 1:  # (x, y, z, 1): a 3D label map
        array = array[..., 0]
    zooms = tuple(float(z) for z in image.header.get_zooms()[: array.ndim])
    affine = np.asarray(image.affine, dtype=np.float64)
    spatial = min(array.ndim, 3)
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.linalg.norm(affine[:3, :spatial], axis=0)
        scale[scale == 0] = 1.0
        direction = affine[:3, :spatial] / scale
    return _Raw(array, "volume", zooms, direction, affine[:3, 3].copy())


def _read_nrrd(path: Path, limit: int | None = None) -> _Raw:
    nrrd = _require("nrrd", "segmetrics[io-extra]")
    with open(path, "rb") as handle:
        header = nrrd.read_header(handle)
        _check_size(header.get("sizes", ()), limit)
        for key in ("data file", "datafile"):
            if key in header:
                _inside(path.parent, header[key], "'data file'")
        array = _read_nrrd_data(nrrd, header, handle, path)
    spacing = direction = origin = None
    if "space directions" in header and header["space directions"] is not None:
        directions = np.asarray(
            [d for d in header["space directions"] if d is not None and not np.any(np.isnan(d))],
            dtype=np.float64,
        )
        if directions.size:
            spacing = tuple(float(s) for s in np.linalg.norm(directions, axis=1))
            direction = directions / np.where(np.asarray(spacing) == 0, 1, spacing)[:, None]
    elif "spacings" in header:
        spacing = tuple(float(s) for s in header["spacings"])
    if "space origin" in header:
        origin = np.asarray(header["space origin"], dtype=np.float64)
    return _Raw(array, "volume", spacing, direction, origin)


def _read_nrrd_data(nrrd: ModuleType, header: dict[str, Any], handle: IO[bytes],
                    path: Path) -> npt.NDArray[Any]:
    """pynrrd's ``read_data``, with compressed data inflated as a stream capped at its declared
    size (pynrrd inflates the whole stream first, however large)."""
    import io

    encoding = header.get("encoding")
    if encoding not in ("gzip", "gz", "bzip2", "bz2"):
        return cast("npt.NDArray[Any]", nrrd.read_data(header, handle, str(path)))
    import bz2
    import zlib

    from nrrd.reader import _determine_datatype

    name = header.get("data file", header.get("datafile"))
    source = handle if name is None else open(_inside(path.parent, name, "'data file'"), "rb")
    try:
        for _ in range(int(header.get("line skip", header.get("lineskip", 0)))):
            source.readline()
        total = int(np.prod(header["sizes"], dtype=np.int64)) * _determine_datatype(header).itemsize
        skip = int(header.get("byte skip", header.get("byteskip", 0)))
        cap = total + max(skip, 0)
        gzip_stream = encoding in ("gzip", "gz")
        # zlib's or bz2's decompressor: each branch below uses its own API
        inflater: Any = zlib.decompressobj(zlib.MAX_WBITS | 16) if gzip_stream else bz2.BZ2Decompressor()
        inflated = bytearray()
        while len(inflated) <= cap:
            if gzip_stream:
                chunk = inflater.unconsumed_tail or source.read(1 << 20)
                if not chunk:
                    break
                inflated += inflater.decompress(chunk, cap + 1 - len(inflated))
                if inflater.eof:
                    break
            else:
                if inflater.eof:
                    break
                chunk = source.read(1 << 20) if inflater.needs_input else b""
                if not chunk and inflater.needs_input:
                    break
                inflated += inflater.decompress(chunk, cap + 1 - len(inflated))
        if len(inflated) > cap:
            raise MaskError(f"the compressed data inflates beyond the declared size "
                            f"({cap:,} bytes for sizes {[int(n) for n in header['sizes']]})")
    finally:
        if source is not handle:
            source.close()
    plain = {k: v for k, v in header.items()
             if k not in ("data file", "datafile", "line skip", "lineskip")}
    plain["encoding"] = "raw"
    return cast("npt.NDArray[Any]", nrrd.read_data(plain, io.BytesIO(bytes(inflated)), None))


#: MetaImage keys read before SimpleITK opens the file (the header is text, ``Key = Value``).
_META_HEADER_BYTES = 1 << 16


def _check_metaimage(path: Path, limit: int | None) -> None:
    """Check a MetaImage header's size and data file before SimpleITK reads it."""
    with open(path, "rb") as handle:
        head = handle.read(_META_HEADER_BYTES)
    fields: dict[str, str] = {}
    for line in head.split(b"\n"):
        raw_key, sep, value = line.partition(b"=")
        if not sep:
            continue
        key = raw_key.strip().decode("ascii", "replace")
        fields[key] = value.strip().decode("utf-8", "replace")
        if key == "ElementDataFile":
            break
    if "DimSize" in fields:
        try:
            shape = [int(v) for v in fields["DimSize"].split()]
            channels = int(fields.get("ElementNumberOfChannels", "1"))
        except ValueError:
            raise MaskError(f"the header's DimSize {fields['DimSize']!r} is not integers") from None
        _check_size(shape + [channels], limit)
    data_file = fields.get("ElementDataFile")
    if data_file is not None and data_file.upper() != "LOCAL":
        _inside(path.parent, data_file, "ElementDataFile")


def _read_itk(path: Path, limit: int | None = None) -> _Raw:
    sitk = _require("SimpleITK", "segmetrics[io-extra]")
    _check_metaimage(path, limit)
    image = sitk.ReadImage(str(path))
    array = sitk.GetArrayFromImage(image)  # axes reversed: (z, y, x)
    ndim = image.GetDimension()
    spacing = tuple(float(s) for s in reversed(image.GetSpacing()))
    direction = np.asarray(image.GetDirection(), dtype=np.float64).reshape(ndim, ndim)
    origin = np.asarray(image.GetOrigin(), dtype=np.float64)
    return _Raw(array, "volume", spacing, direction, origin)


def _npy_header(handle: IO[bytes], limit: int | None) -> None:
    """Read and check the header of a ``.npy`` stream (which is left just past it)."""
    from numpy.lib import format as npy

    version = npy.read_magic(handle)
    if version == (1, 0):
        shape, _, dtype = npy.read_array_header_1_0(handle)
    elif version in ((2, 0), (3, 0)):  # 3.0 is 2.0 with a UTF-8 header: ASCII reads alike
        try:
            shape, _, dtype = npy.read_array_header_2_0(handle)
        except (UnicodeDecodeError, ValueError):
            raise MaskError(f".npy header (format {version}) is not one segmetrics reads") from None
    else:
        raise MaskError(f".npy format version {version} is not read")
    if dtype.hasobject:
        raise MaskError("the array holds Python objects (pickled data), which are not read")
    _check_size(shape, limit)


def _read_numpy(path: Path, limit: int | None = None) -> _Raw:
    import zipfile

    from numpy.lib import format as npy

    if not zipfile.is_zipfile(path):
        with open(path, "rb") as handle:
            _npy_header(handle, limit)
        return _Raw(np.load(path, allow_pickle=False), "volume")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        shown = [n[:-4] if n.endswith(".npy") else n for n in names]
        if len(names) != 1:
            raise MaskError(
                f".npz must hold exactly one array; found {len(names)} ({', '.join(shown)})"
            )
        with archive.open(names[0]) as member:
            _npy_header(member, limit)
        # Decompressed as a stream into an array of the declared size: never more.
        with archive.open(names[0]) as member:
            return _Raw(npy.read_array(member, allow_pickle=False), "volume")


_READERS: dict[str, Callable[[Path, int | None], _Raw]] = {
    ".nii.gz": _read_nifti, ".nii": _read_nifti,
    ".npy": _read_numpy, ".npz": _read_numpy,
    ".png": _read_pillow, ".bmp": _read_pillow, ".jpg": _read_pillow, ".jpeg": _read_pillow,
    ".tif": _read_tiff, ".tiff": _read_tiff,
    ".nrrd": _read_nrrd, ".nhdr": _read_nrrd,
    ".mha": _read_itk, ".mhd": _read_itk,
}


#: The format each extension promises, checked against the file's first bytes.
_EXPECTED: dict[str, str | None] = {
    ".nii.gz": "gzip", ".nii": "nifti", ".npy": "npy", ".npz": "zip", ".png": "png",
    ".bmp": "bmp", ".tiff": "tiff", ".tif": "tiff", ".jpeg": "jpeg", ".jpg": "jpeg",
    ".nrrd": "nrrd", ".nhdr": "nrrd", ".mha": None, ".mhd": None,
}
#: The extension whose reader and rules apply to content of each image format.
_IMAGE_FORMATS = {"png": ".png", "bmp": ".bmp", "tiff": ".tif", "jpeg": ".jpg"}
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"BM", "bmp"),
    (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"), (b"II+\x00", "tiff"), (b"MM\x00+", "tiff"),
    (b"\x1f\x8b", "gzip"), (b"\x93NUMPY", "npy"), (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"), (b"NRRD", "nrrd"),
)


def _sniff(head: bytes) -> str | None:
    """The format the first bytes of a file show, or None when they show none we know."""
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    if len(head) >= 4:
        size_le = int.from_bytes(head[:4], "little")
        size_be = int.from_bytes(head[:4], "big")
        if size_le in (348, 540) or size_be in (348, 540):
            return "nifti"
    return None


def _open_checked(path: Path) -> str:
    """The extension whose reader fits the file: a regular file whose content fits its name.

    Content of another image format than its extension says (JPEG bytes in a
    ``.png``) is read as the format it is, with that format's rules; content that
    is not the format its extension promises is refused.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise MaskError(f"cannot read the file ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        raise MaskError("is not a regular file (a FIFO, device or folder); it is not read")
    _, ext = split_extension(path.name)
    expected = _EXPECTED[ext]
    if expected is None:
        return ext
    with open(path, "rb") as handle:
        head = handle.read(16)
    found = _sniff(head)
    if found == expected:
        return ext
    if found in _IMAGE_FORMATS and expected in _IMAGE_FORMATS:
        return _IMAGE_FORMATS[found]
    if expected == "nrrd" and ext == ".nhdr" and found is None:
        return ext
    raise MaskError(
        f"cannot read the file: its content is not {expected.upper()} as the extension {ext} says "
        f"({'it is ' + found.upper() if found else 'its first bytes are ' + repr(head[:8])}); "
        "the file is damaged or misnamed"
    )


def parse_colormap(text: str | dict[Any, Any]) -> dict[tuple[int, ...], int]:
    """Parse a colour -> label table: a JSON file, JSON text or ``"1=255,0,0;2=0,255,0"``.

    JSON takes the form ``{"1": [255, 0, 0], "2": [0, 255, 0]}``. Black maps to
    0 unless the table says otherwise.

    Returns
    -------
    dict
        ``{(r, g, b): label}``.

    Examples
    --------
    >>> parse_colormap("1=255,0,0; 2=0,255,0")
    {(0, 0, 0): 0, (255, 0, 0): 1, (0, 255, 0): 2}
    """
    if isinstance(text, dict):
        entries = text
    elif os.path.isfile(text):
        entries = json.loads(Path(text).read_text())
    elif text.lstrip().startswith("{"):
        entries = json.loads(text)
    else:
        entries = {}
        for item in filter(None, (part.strip() for part in text.split(";"))):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"colormap entries look like '1=255,0,0'; got {item!r}")
            entries[key.strip()] = [c.strip() for c in value.split(",")]
    table: dict[tuple[int, ...], int] = {(0, 0, 0): 0}
    for label, colour in entries.items():
        try:
            rgb = tuple(int(c) for c in colour)
            label = int(label)
        except (TypeError, ValueError):
            raise ValueError(
                f"colormap entries map a label to an R,G,B colour; got {label!r}: {colour!r}"
            ) from None
        if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb) or label < 0:
            raise ValueError(
                f"colormap entries map a label >= 0 to three values in 0..255; "
                f"got {label!r}: {colour!r}"
            )
        table[rgb] = label
    return table


def _decode_rgb(rgb: npt.NDArray[Any], colormap: Mapping[tuple[int, ...], int] | None
                ) -> tuple[npt.NDArray[Any], str]:
    """RGB to labels: equal channels are greyscale, else the colour table decides."""
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        return rgb[..., 0], "grey"
    if colormap is None:
        colours = np.unique(rgb.reshape(-1, 3), axis=0)
        shown = ", ".join(str(tuple(int(v) for v in c)) for c in colours[:4])
        raise MaskError(
            f"RGB mask with colours ({shown}{', ...' if len(colours) > 4 else ''}): "
            "pass --colormap (colormap=) to say which colour is which label"
        )
    channels = rgb.astype(np.uint32)
    packed = (channels[..., 0] << 16) | (channels[..., 1] << 8) | channels[..., 2]
    keys = np.array([(r << 16) | (g << 8) | b for r, g, b in colormap], dtype=np.uint32)
    values = np.array(list(colormap.values()), dtype=np.int64)
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    position = np.clip(np.searchsorted(keys, packed), 0, keys.size - 1)
    unknown = keys[position] != packed
    if unknown.any():
        bad = rgb[unknown][0]
        raise MaskError(
            f"colour {tuple(int(v) for v in bad)} ({int(unknown.sum())} pixels) "
            "is not in the colormap"
        )
    labels = values[position]
    dtype = np.uint8 if labels.max(initial=0) < 256 else np.int64
    return labels.astype(dtype), "labels"


def _as_labels(array: npt.NDArray[Any], *, threshold: float | None,
               source: str) -> npt.NDArray[Any]:
    """Integer labels from an int, bool or float array; floats need whole values or a threshold."""
    if array.dtype.kind == "b":
        return array.astype(np.uint8)
    if array.dtype.kind == "f":
        if threshold is not None:
            if np.isnan(array).any():
                raise MaskError("probability map holds NaN; it cannot be thresholded")
            return (array >= threshold).astype(np.uint8)
        finite = np.isfinite(array).all()
        if finite and np.array_equal(array, np.round(array)) and array.min(initial=0) >= 0:
            top = array.max(initial=0)
            dtype = np.uint8 if top < 256 else np.uint16 if top < 65536 else np.int64
            return array.astype(dtype)
        n_nan = int(np.isnan(array).sum())
        if n_nan:
            raise MaskError(
                f"{source} holds floating values that are not labels, {n_nan} of them NaN: "
                "a probability map needs --threshold (threshold=) to binarise it, and its NaN "
                "values must be replaced first (a NaN voxel cannot be thresholded)"
            )
        raise MaskError(
            f"{source} holds non-integer floating values (a probability map?): "
            "pass --threshold (threshold=) to binarise it"
        )
    if array.dtype.kind == "i":
        if array.size and array.min() < 0:
            raise MaskError(f"{source} holds negative values; labels must be >= 0")
        return array
    if array.dtype.kind == "u":
        return array
    raise MaskError(f"{source} has dtype {array.dtype}, which does not hold labels")


def _binary_0_255(labels: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A 0/255 (or 0/65535) greyscale image is a binary mask: label 1."""
    if labels.dtype not in (np.uint8, np.uint16):
        return labels
    top = 255 if labels.dtype == np.uint8 else 65535
    if labels.max(initial=0) != top:
        return labels
    values = np.unique(labels)
    if values.size <= 2 and values[0] in (0, top):
        return cast("npt.NDArray[np.uint8]", (labels == top).astype(np.uint8))
    return labels


def read_mask(path: str | os.PathLike[str], *, threshold: float | None = None,
              colormap: str | dict[Any, Any] | None = None,
              spacing: Iterable[float] | None = None, binarize_above: float | None = None,
              max_voxels: int | None = None) -> Mask:
    """Read a mask or label volume as integer labels with its spacing.

    Parameters
    ----------
    path : str or path-like
        A file whose extension is one of :data:`MASK_EXTENSIONS`.
    threshold : float, optional
        Binarise probability maps (non-integer floats) and JPEG images:
        foreground is ``value >= threshold``, in the file's own units.
        Integer label maps are not affected.
    colormap : dict or str, optional
        Colour -> label table for coloured RGB masks (see :func:`parse_colormap`).
    spacing : sequence of float, optional
        Physical voxel size per array axis, in the array's axis order as the
        file header gives it (NIfTI and NRRD: x, y, z; MHA: z, y, x); overrides
        the file's spacing, with a warning when it contradicts the header
        beyond rounding (relative difference above :data:`SPACING_RTOL`).
    binarize_above : float, optional
        Read the raw greyscale values and return ``value > binarize_above``
        as 0/1 (the ISIC convention, ``> 128``). Takes precedence over the
        label rules.
    max_voxels : int, optional
        Refuse a file whose header declares more voxels than this, before
        anything is allocated (NIfTI, NumPy, TIFF, images, NRRD, MetaImage);
        compressed data is inflated into an array of the declared size only.
        None: no limit.

    Returns
    -------
    Mask

    Raises
    ------
    MaskError
        If the file cannot be read or decoded; the message says why. A file
        that is not a regular file (a FIFO, a device), whose content is not
        the format its extension promises, whose header declares more than
        ``max_voxels`` voxels or a non-finite spacing (without ``spacing=``),
        or whose detached data file (NRRD ``data file``, MetaImage
        ``ElementDataFile``) is not a regular file inside the header's folder,
        is refused.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "m.npy")
    >>> np.save(path, np.array([[0, 2], [1, 0]], dtype=np.uint8))
    >>> read_mask(path, spacing=(0.5, 0.5)).labels.tolist()
    [[0, 2], [1, 0]]
    >>> tmp.cleanup()
    """
    path = Path(path)
    name = display_name(path.name)
    _, ext = split_extension(path.name)
    if ext not in _READERS:
        raise MaskError(f"{name}: unknown mask extension; expected one of {MASK_EXTENSIONS}")
    if max_voxels is not None and max_voxels < 1:
        raise ValueError(f"max_voxels must be >= 1 or None; got {max_voxels!r}")
    if isinstance(colormap, str):
        colormap = parse_colormap(colormap)
    try:
        ext = _open_checked(path)
        raw = _READERS[ext](path, max_voxels)
    except MaskError as exc:
        raise MaskError(f"{name}: {exc}") from None
    except MemoryError:
        raise MaskError(f"{name}: not enough memory to read the file") from None
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        raise MaskError(
            f"{name}: cannot read the file ({type(exc).__name__}: {exc})") from None
    if raw.array.ndim == 0:
        raise MaskError(f"{name}: the file holds a single value (a 0-d array), not a mask")
    try:
        labels = _decode(raw, ext, threshold=threshold, colormap=colormap,
                         binarize_above=binarize_above)
    except MaskError as exc:
        raise MaskError(f"{name}: {exc}") from None
    if labels.ndim < 1 or labels.size == 0:
        raise MaskError(f"{name}: the mask is empty (shape {labels.shape})")
    labels = _keep_layout(labels)
    header = raw.spacing
    if header is not None and not all(math.isfinite(float(s)) for s in header):
        if spacing is None:
            raise MaskError(
                f"{name}: the header's voxel spacing {tuple(float(s) for s in header)} is not "
                "finite (NaN or inf pixdim): fix the header or pass --spacing (spacing=)")
        header = None
    if spacing is not None:
        spacing = tuple(float(s) for s in spacing)
        if len(spacing) != labels.ndim:
            raise MaskError(
                f"{name}: spacing has {len(spacing)} values but the mask has "
                f"{labels.ndim} axes (shape {labels.shape})"
            )
        _warn_if_contradicted(spacing, header)
    else:
        spacing = header
    return Mask(labels, spacing, raw.direction, raw.origin)


#: Relative difference above which a given spacing contradicts the header's (float32
#: headers store 0.8 as 0.800000011920929: that is rounding, not a contradiction).
SPACING_RTOL = 1e-4


def _warn_if_contradicted(given: tuple[float, ...], header: Sequence[float] | None) -> None:
    """Warn when ``spacing=`` differs from the spacing the file's header states."""
    if header is None or len(header) != len(given):
        return
    header = tuple(float(s) for s in header)
    if np.allclose(given, header, rtol=SPACING_RTOL, atol=0):
        return
    shown = tuple(float(f"{s:.6g}") for s in header)
    warnings.warn(
        f"the given spacing {given} contradicts the file header's {shown} (both in the "
        "array's axis order, as the header gives it); the given spacing is used. NIfTI "
        "arrays read as (x, y, z): drop --spacing to use the header",
        UserWarning, stacklevel=3)


def _keep_layout(labels: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``labels`` as read: C- or Fortran-ordered arrays are kept without a copy.

    The kernels read two arrays of one contiguous layout in place and copy mixed
    layouts slab by slab, so the file's own layout (Fortran order for NIfTI and
    NRRD, C order for TIFF and MHA, either for ``.npy``) is never transposed as
    a whole. Only a strided view (a channel of an RGB image) is made contiguous,
    in the memory order it already follows.
    """
    if labels.flags.c_contiguous or labels.flags.f_contiguous:
        return labels
    return np.array(labels, order="K")


def _decode(raw: _Raw, ext: str, *, threshold: float | None,
            colormap: Mapping[tuple[int, ...], int] | None,
            binarize_above: float | None) -> npt.NDArray[Any]:
    array, kind = raw.array, raw.kind
    if binarize_above is not None:
        if kind == "rgb":
            array, kind = _decode_rgb(array, None)
        return (array > binarize_above).astype(np.uint8)
    if ext in _JPEG_EXTENSIONS:
        if threshold is None:
            raise MaskError(
                "JPEG is lossy and changes mask values at edges: save masks as PNG, "
                "or pass --threshold (threshold=) to binarise it"
            )
        warnings.warn(f"JPEG mask binarised at {threshold}: JPEG compression alters mask edges",
                      UserWarning, stacklevel=3)
        if kind == "rgb":
            array = array.mean(axis=-1)
        return (array >= threshold).astype(np.uint8)
    if kind == "rgb":
        try:
            array, kind = _decode_rgb(array, colormap)
        except MaskError as exc:
            if ext not in (".tif", ".tiff"):
                raise
            raise MaskError(
                f"{exc}. The TIFF says RGB: tifffile stores arrays of shape (3, Y, X) or "
                "(Y, X, 3) as RGB unless written with photometric='minisblack'"
            ) from None
        if kind == "labels":
            return array
    labels = _as_labels(array, threshold=threshold, source="the mask")
    if kind == "grey" and ext in _IMAGE_EXTENSIONS:
        labels = _binary_0_255(labels)
    return labels
