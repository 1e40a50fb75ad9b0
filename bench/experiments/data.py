"""Data: a seeded generator of dermoscopy-like images, an ISIC folder loader, the split.

Images are float32 arrays of shape ``(n, 3, size, size)`` in [0, 1]; masks are
uint8 arrays of shape ``(n, size, size)`` holding 0 (skin) and 1 (lesion).

The generator draws each image from its own stream ``default_rng([seed, index])``,
so image ``i`` does not depend on how many images are asked for; it draws the
scene's parameters and its pixel noise from separate streams and renders in
coordinates relative to the image size, so one seed gives the same scene at every
resolution (only the texture differs).

What it draws: textured skin of a random tone; one irregular pigmented
lesion (a star-shaped outline from a few random Fourier modes, stretched and
rotated) of random size (about 3 % to 30 % of the image), position, colour and
contrast (some are faint), with darker blotches inside and a fuzzy border; dark
hairs crossing it (not part of the mask); vignetting and sometimes the black ring
of the dermoscope; Gaussian blur and noise. The mask is the lesion outline before
any of the image degradations, as an annotator would draw it.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

REPORT_TRAIN = 99
REPORT_TEST = 20


@dataclass(frozen=True)
class Split:
    """Images ``(n, 3, H, W)`` float32 in [0, 1], masks ``(n, H, W)`` uint8 in {0, 1}, names."""

    images: np.ndarray
    masks: np.ndarray
    names: tuple

    def __len__(self):
        return len(self.names)


def _smooth_noise(rng, size, sigma):
    """Zero-mean, unit-variance Gaussian noise smoothed at ``sigma`` pixels."""
    field = ndimage.gaussian_filter(rng.standard_normal((size, size)), sigma, mode="wrap")
    return (field - field.mean()) / (field.std() + 1e-12)


def _lesion_outline(rng, yy, xx):
    """Boolean mask of one irregular star-shaped lesion, in [-1, 1] coordinates."""
    cy, cx = np.clip(rng.normal(0.0, 0.18, size=2), -0.35, 0.35)
    radius = rng.uniform(0.2, 0.62)
    stretch = rng.uniform(0.7, 1.0)
    angle = rng.uniform(0, np.pi)
    dy, dx = yy - cy, xx - cx
    u = dx * np.cos(angle) + dy * np.sin(angle)
    v = (-dx * np.sin(angle) + dy * np.cos(angle)) / stretch
    rho, phi = np.hypot(u, v), np.arctan2(v, u)
    wobble = np.zeros_like(phi)
    for k in range(2, 9):
        wobble += rng.uniform(0.0, 0.22) / k ** 0.7 * np.cos(k * phi + rng.uniform(0, 2 * np.pi))
    return rho < radius * np.clip(1.0 + wobble, 0.45, None)


def _hair_layer(rng, size):
    """Opacity in [0, 1] of a few dark, thin, curved hairs (quadratic Bezier curves)."""
    alpha = np.zeros((size, size))
    n_hairs = rng.poisson(2.5) if rng.random() < 0.65 else 0
    for _ in range(n_hairs):
        p0, p2 = rng.uniform(-1.2, 1.2, size=(2, 2))
        p1 = (p0 + p2) / 2 + rng.normal(0, 0.4, size=2)
        t = np.linspace(0, 1, 4 * size)[:, None]
        points = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t ** 2 * p2
        half_width = rng.uniform(0.3, 0.8) * max(1.0, size / 128)  # pixels
        # the curve rasterised, then the distance of every pixel to it in one pass
        rows = np.round((points[:, 0] + 1) / 2 * size - 0.5).astype(int)
        cols = np.round((points[:, 1] + 1) / 2 * size - 0.5).astype(int)
        inside = (rows >= 0) & (rows < size) & (cols >= 0) & (cols < size)
        if not inside.any():
            continue
        off_curve = np.ones((size, size), dtype=bool)
        off_curve[rows[inside], cols[inside]] = False
        dist = ndimage.distance_transform_edt(off_curve)
        coverage = np.clip(1.0 - (dist - half_width), 0.0, 1.0)
        alpha = np.maximum(alpha, coverage * rng.uniform(0.6, 0.95))
    return alpha


def synthetic_lesion(rng, size):
    """One dermoscopy-like RGB image ``(3, size, size)`` float32 and its mask ``(size, size)``.

    ``rng`` is a :class:`numpy.random.Generator`; ``size`` the side length in pixels.
    """
    rng, fields = rng.spawn(2)  # scalars from rng, pixel fields from ``fields``: sizes agree
    scale = size / 64.0  # smoothing lengths are given for a 64-pixel image
    coords = (np.arange(size) + 0.5) / size * 2 - 1
    yy, xx = np.meshgrid(coords, coords, indexing="ij")

    tone = np.array([0.86, 0.66, 0.56]) + rng.normal(0, 0.04, size=3)
    texture = 0.05 * (_smooth_noise(fields, size, 1.0 * scale)
                      + _smooth_noise(fields, size, 6 * scale))
    skin = tone[:, None, None] * (1.0 + texture[None] * np.array([1.0, 1.1, 1.2])[:, None, None])

    mask = _lesion_outline(rng, yy, xx)
    colour = np.array([0.42, 0.25, 0.17]) * rng.uniform(0.5, 1.2) + rng.normal(0, 0.03, size=3)
    contrast = rng.uniform(0.3, 1.0)
    fuzz = ndimage.gaussian_filter(mask.astype(float), rng.uniform(0.5, 2.0) * scale)
    blotches = np.clip(_smooth_noise(fields, size, 2.5 * scale), 0, None) * rng.uniform(0.0, 0.5)
    depth = np.clip(contrast * fuzz * (0.8 + 0.2 * _smooth_noise(fields, size, 3 * scale)), 0, 1)
    lesion = colour[:, None, None] * (1.0 - 0.6 * blotches * fuzz)[None]
    image = skin * (1 - depth[None]) + lesion * depth[None]

    hair = _hair_layer(rng, size)
    hair_colour = np.array([0.12, 0.08, 0.06]) * rng.uniform(0.5, 1.5)
    image = image * (1 - hair[None]) + hair_colour[:, None, None] * hair[None]

    rho2 = yy ** 2 + xx ** 2
    image = image * (1.0 - rng.uniform(0.0, 0.35) * rho2 / 2)[None]
    if rng.random() < 0.3:  # the dark ring of a contact dermoscope
        ring = np.clip((np.sqrt(rho2) - rng.uniform(1.0, 1.35)) * size / 4, 0, 1)
        image = image * (1 - 0.9 * ring)[None]
    sigma = rng.uniform(0.0, 1.2) * scale
    if sigma > 0.05:
        image = ndimage.gaussian_filter(image, (0, sigma, sigma))
    image = image + rng.uniform(0.005, 0.03) * fields.standard_normal(image.shape)
    return np.clip(image, 0, 1).astype(np.float32), mask.astype(np.uint8)


def synthetic_dataset(n, size, *, seed=0):
    """``n`` synthetic images and masks; image ``i`` is drawn from ``default_rng([seed, i])``.

    Examples
    --------
    >>> images, masks = synthetic_dataset(2, 16, seed=0)
    >>> images.shape, masks.shape, images.dtype, sorted(set(masks.ravel().tolist()))
    ((2, 3, 16, 16), (2, 16, 16), dtype('float32'), [0, 1])
    """
    if n < 1 or size < 8:
        raise ValueError(f"need n >= 1 and size >= 8; got n={n}, size={size}")
    pairs = [synthetic_lesion(np.random.default_rng([seed, i]), size) for i in range(n)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def load_isic(folder, size):
    """Images and masks of an ISIC-format folder, resized to ``size`` x ``size``.

    The folder holds ``ISIC_XXXXXXX.jpg`` images and ``ISIC_XXXXXXX_segmentation.png``
    masks (0 background, 255 lesion). Images are resized bilinearly, masks by nearest
    neighbour. Returns ``(images, masks, names)`` sorted by name.
    """
    from PIL import Image

    folder = Path(folder)
    paths = sorted(p for p in folder.glob("ISIC_*.jpg") if not p.stem.endswith("_segmentation"))
    if not paths:
        raise FileNotFoundError(f"no ISIC_*.jpg images in {folder}")
    images, masks = [], []
    for path in paths:
        mask_path = path.with_name(f"{path.stem}_segmentation.png")
        if not mask_path.exists():
            raise FileNotFoundError(f"image {path.name} has no mask {mask_path.name} in {folder}")
        with Image.open(path) as image:
            rgb = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
        with Image.open(mask_path) as mask:
            gray = mask.convert("L").resize((size, size), Image.Resampling.NEAREST)
        images.append(np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1) / 255.0)
        masks.append((np.asarray(gray) > 127).astype(np.uint8))
    return np.stack(images), np.stack(masks), tuple(p.stem for p in paths)


def train_test_split(images, masks, names, *, n_test=REPORT_TEST, seed=0):
    """A seeded split: ``n_test`` images for testing, the rest for training."""
    n = len(images)
    if not 0 < n_test < n:
        raise ValueError(f"n_test must be between 1 and {n - 1} for {n} images; got {n_test}")
    order = np.random.default_rng(seed).permutation(n)
    train, test = np.sort(order[n_test:]), np.sort(order[:n_test])
    names = np.asarray(names)
    return (Split(images[train], masks[train], tuple(names[train])),
            Split(images[test], masks[test], tuple(names[test])))


def load(source, size, *, n_train=REPORT_TRAIN, n_test=REPORT_TEST, seed=0):
    """The train and test splits of ``source``: ``"synthetic"`` or an ISIC folder path.

    For synthetic data ``n_train + n_test`` images are generated (99 + 20 like
    *Technical report on seg CNN and loss* by default). For a folder, every image is used and
    ``n_test`` go to test.
    """
    if source == "synthetic":
        images, masks = synthetic_dataset(n_train + n_test, size, seed=seed)
        names = tuple(f"synthetic_{seed}_{i:04d}" for i in range(len(images)))
    else:
        images, masks, names = load_isic(source, size)
    return train_test_split(images, masks, names, n_test=n_test, seed=seed)
