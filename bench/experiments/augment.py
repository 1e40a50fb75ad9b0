"""Paired geometric augmentation: one random rotation, scaling and flip per sample,
applied identically to the image (bilinear) and the mask (nearest neighbour).

Plain torch: one affine sampling grid per sample (:func:`torch.nn.functional.affine_grid`)
is used for both tensors, so image and mask stay aligned exactly. Outside the
source image both are reflected (the reflected skin and lesion stay consistent).
The mask stays binary because it is sampled by nearest neighbour.
"""
import math

import torch
from torch.nn import functional as F


def random_affine(images, masks, generator, *, max_rotation_deg=180.0, scale=(0.85, 1.15),
                  flip=True):
    """Augmented copies of ``images`` ``(B, C, H, W)`` float and ``masks`` ``(B, 1, H, W)`` float.

    Parameters
    ----------
    generator : torch.Generator
        Source of every random draw (so a seed fixes the augmentation).
    max_rotation_deg : float
        Rotation angle uniform in [-max, max] degrees.
    scale : (float, float)
        Zoom factor uniform in this range (> 1 enlarges the content).
    flip : bool
        Flip horizontally and vertically, each with probability 1/2.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> x, m = torch.rand(2, 3, 8, 8), (torch.rand(2, 1, 8, 8) > 0.5).float()
    >>> xa, ma = random_affine(x, m, g)
    >>> xa.shape, sorted(ma.unique().tolist()) in ([0.0, 1.0], [0.0], [1.0])
    (torch.Size([2, 3, 8, 8]), True)
    """
    batch = images.shape[0]
    draw = torch.rand(batch, 4, generator=generator, dtype=torch.float64)
    angle = (2 * draw[:, 0] - 1) * math.radians(max_rotation_deg)
    zoom = scale[0] + (scale[1] - scale[0]) * draw[:, 1]
    sx = torch.where((draw[:, 2] < 0.5) & flip, -1.0, 1.0)
    sy = torch.where((draw[:, 3] < 0.5) & flip, -1.0, 1.0)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.zeros(batch, 2, 3, dtype=torch.float64)
    theta[:, 0, 0], theta[:, 0, 1] = cos * sx, -sin * sy
    theta[:, 1, 0], theta[:, 1, 1] = sin * sx, cos * sy
    grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    grid = grid.to(images.device)
    out_images = F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection",
                               align_corners=False)
    out_masks = F.grid_sample(masks, grid, mode="nearest", padding_mode="reflection",
                              align_corners=False)
    return out_images, out_masks
