"""Record peer loss values and gradients as .npz fixtures for tests/test_losses_peers.py.

Run from the repository root with the peers installed::

    python tests/make_loss_fixtures.py

It needs torch, monai, segmentation_models_pytorch and kornia (installed with
``pip install --no-deps`` next to the pinned torch is enough; smp's losses are
loaded without its encoders, so timm is not needed). The peers' versions are
recorded in the fixture, so CI compares against them without installing them.

Each case stores the input, the target, the peer's loss value and its gradient
with respect to the input, and (as JSON) which segmetrics loss with which
parameters should reproduce them, with the tolerance and a note on any known
difference.
"""
import importlib.util
import json
import sys
import types
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).resolve().parent / "fixtures" / "loss_peers.npz"
SHAPE = (2, 3, 8, 8)


def _smp_losses():
    """segmentation_models_pytorch.losses without the package's encoder imports."""
    spec = importlib.util.find_spec("segmentation_models_pytorch")
    if "segmentation_models_pytorch" not in sys.modules:
        package = types.ModuleType("segmentation_models_pytorch")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["segmentation_models_pytorch"] = package
    import segmentation_models_pytorch.losses as losses
    return losses


def _version(distribution):
    from importlib.metadata import version
    return version(distribution)


def _inputs(seed, absent=False, channels=3):
    rng = np.random.default_rng(seed)
    shape = (SHAPE[0], channels) + SHAPE[2:]
    x = rng.normal(size=shape) * 2.0
    labels = rng.integers(0, channels, size=(shape[0],) + shape[2:])
    if absent:
        labels[labels == 1] = 0
    onehot = (labels[:, None] == np.arange(channels).reshape(1, channels, 1, 1)).astype(np.float64)
    return x, labels, onehot


def _peer(function, x, target):
    xt = torch.tensor(x, requires_grad=True)
    value = function(xt, torch.as_tensor(target))
    (grad,) = torch.autograd.grad(value, xt)
    value = value.detach()
    return value.item(), grad.numpy()


def cases():
    import kornia.losses as kl
    import monai.losses as ml
    smp = _smp_losses()
    versions = {"monai": _version("monai"), "segmentation_models_pytorch":
                _version("segmentation-models-pytorch"), "kornia": _version("kornia"),
                "torch": torch.__version__}
    x, labels, onehot = _inputs(0)
    xa, labels_a, onehot_a = _inputs(1, absent=True)
    x1, _, onehot1 = _inputs(2, channels=1)
    lab4 = labels[:, None]
    out = []

    def add(name, peer, call, function, x, target_for_peer, loss, params, target, *,
            rtol=1e-10, note="", transform="none"):
        value, grad = _peer(function, x, target_for_peer)
        out.append(dict(name=name, peer=peer, version=versions[peer], call=call, loss=loss,
                        params=params, transform=transform, rtol=rtol, note=note,
                        input=x, target=target, value=value, grad=grad))

    # MONAI --------------------------------------------------------------
    add("monai_dice_softmax", "monai", "DiceLoss(softmax=True, to_onehot_y=True)",
        ml.DiceLoss(softmax=True, to_onehot_y=True), x, lab4,
        "dice_loss", {"activation": "softmax"}, labels)
    add("monai_dice_sigmoid_batch_nobg", "monai",
        "DiceLoss(sigmoid=True, batch=True, include_background=False)",
        ml.DiceLoss(sigmoid=True, batch=True, include_background=False), x, onehot,
        "dice_loss", {"activation": "sigmoid", "batch": True, "include_background": False},
        onehot)
    add("monai_dice_absent_class", "monai", "DiceLoss(softmax=True, to_onehot_y=True)",
        ml.DiceLoss(softmax=True, to_onehot_y=True), xa, labels_a[:, None],
        "dice_loss", {"activation": "softmax"}, labels_a)
    add("monai_dice_jaccard", "monai", "DiceLoss(softmax=True, jaccard=True)",
        ml.DiceLoss(softmax=True, jaccard=True), x, onehot,
        "jaccard_loss", {"activation": "softmax", "smooth_nr": 0.5e-5, "smooth_dr": 0.5e-5},
        onehot, note="MONAI's jaccard=True is (2I + s)/(2U + s): our smoothing s/2")
    add("monai_tversky", "monai", "TverskyLoss(softmax=True, alpha=0.3, beta=0.7)",
        ml.TverskyLoss(softmax=True, alpha=0.3, beta=0.7), x, onehot,
        "tversky_loss", {"activation": "softmax", "alpha": 0.3, "beta": 0.7}, onehot)
    add("monai_generalized_dice", "monai", "GeneralizedDiceLoss(softmax=True, to_onehot_y=True)",
        ml.GeneralizedDiceLoss(softmax=True, to_onehot_y=True), x, lab4,
        "generalized_dice_loss", {"activation": "softmax"}, labels, rtol=1e-6,
        note="MONAI sums the generalised Dice weights in float32")
    add("monai_generalized_dice_absent", "monai",
        "GeneralizedDiceLoss(softmax=True, to_onehot_y=True)",
        ml.GeneralizedDiceLoss(softmax=True, to_onehot_y=True), xa, labels_a[:, None],
        "generalized_dice_loss", {"activation": "softmax", "absent": "max"}, labels_a,
        rtol=1e-6, note="absent class: weight = largest present weight, as MONAI")
    add("monai_focal", "monai", "FocalLoss(gamma=2.0)", ml.FocalLoss(gamma=2.0), x, onehot,
        "focal_loss", {"gamma": 2.0}, onehot, rtol=1e-6,
        note="MONAI's sigmoid focal loss is computed in float32 even for float64 input")
    add("monai_focal_alpha_low_gamma", "monai", "FocalLoss(gamma=0.5, alpha=0.25)",
        ml.FocalLoss(gamma=0.5, alpha=0.25), x, onehot,
        "focal_loss", {"gamma": 0.5, "alpha": 0.25}, onehot, rtol=1e-6,
        note="MONAI's sigmoid focal loss is computed in float32 even for float64 input")

    # segmentation_models_pytorch -----------------------------------------
    add("smp_dice_multiclass", "segmentation_models_pytorch",
        "DiceLoss(mode='multiclass', from_logits=True)",
        smp.DiceLoss(mode="multiclass", from_logits=True), x, labels,
        "dice_loss", {"activation": "softmax", "batch": True, "smooth_nr": 0.0, "smooth_dr": 0.0},
        labels, note="smp sums over the whole batch (batch=True) with no smoothing")
    add("smp_dice_absent_class", "segmentation_models_pytorch",
        "DiceLoss(mode='multiclass', from_logits=True)",
        smp.DiceLoss(mode="multiclass", from_logits=True), xa, labels_a,
        "dice_loss", {"activation": "softmax", "batch": True, "smooth_nr": 0.0, "smooth_dr": 0.0},
        labels_a, transform="smp_zero_absent",
        note="smp zeroes the loss of classes absent from the target (still dividing by C); "
             "ours gives them loss 1 - s_n/(P + s_d)")
    add("smp_jaccard_multilabel", "segmentation_models_pytorch",
        "JaccardLoss(mode='multilabel', from_logits=True)",
        smp.JaccardLoss(mode="multilabel", from_logits=True), x, onehot,
        "jaccard_loss", {"activation": "sigmoid", "batch": True, "smooth_nr": 0.0,
                         "smooth_dr": 0.0}, onehot)
    add("smp_tversky_multiclass", "segmentation_models_pytorch",
        "TverskyLoss(mode='multiclass', alpha=0.3, beta=0.7)",
        smp.TverskyLoss(mode="multiclass", alpha=0.3, beta=0.7), x, labels,
        "tversky_loss", {"activation": "softmax", "batch": True, "alpha": 0.3, "beta": 0.7,
                         "smooth_nr": 0.0, "smooth_dr": 0.0}, labels,
        note="smp's gamma is applied to the class mean, so only gamma=1 is comparable")
    add("smp_focal_binary", "segmentation_models_pytorch",
        "FocalLoss(mode='binary', alpha=0.25, gamma=2.0)",
        smp.FocalLoss(mode="binary", alpha=0.25, gamma=2.0), x1, onehot1,
        "focal_loss", {"alpha": 0.25, "gamma": 2.0}, onehot1)

    xf = np.array([[[[5.0, -3.0, 20.0, 0.5], [-20.0, 2.0, 0.1, -0.7]]]], dtype=np.float32)
    tf = np.array([[[[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]]], dtype=np.float32)
    add("smp_focal_low_gamma_nan", "segmentation_models_pytorch",
        "FocalLoss(mode='binary', gamma=0.5)", smp.FocalLoss(mode="binary", gamma=0.5), xf, tf,
        "focal_loss", {"gamma": 0.5}, tf, transform="peer_nan_gradient", rtol=1e-5,
        note="smp 0.6.0 returns NaN gradients in float32 for gamma < 1 where p_t rounds to 1; ours "
             "are finite and agree elsewhere")

    # kornia ----------------------------------------------------------------
    add("kornia_dice_macro", "kornia", "dice_loss(average='macro', eps=1e-8)",
        lambda p, t: kl.dice_loss(p, t, average="macro"), x, labels,
        "dice_loss", {"activation": "softmax", "smooth_nr": 0.0, "smooth_dr": 1e-8}, labels)
    add("kornia_dice_micro", "kornia", "dice_loss(average='micro', eps=1e-8)",
        lambda p, t: kl.dice_loss(p, t, average="micro"), x, labels,
        "dice_loss", {"smooth_nr": 0.0, "smooth_dr": 1e-8}, onehot, transform="softmax_merge",
        note="kornia's micro average sums over the classes too: ours on the softmax "
             "probabilities with the channel axis merged into the spatial ones")
    add("kornia_tversky", "kornia", "tversky_loss(alpha=0.3, beta=0.7, eps=1e-8)",
        lambda p, t: kl.tversky_loss(p, t, alpha=0.3, beta=0.7), x, labels,
        "tversky_loss", {"activation": "softmax", "alpha": 0.3, "beta": 0.7, "smooth_nr": 0.0,
                         "smooth_dr": 1e-8}, labels,
        note="kornia leaves classes absent from a sample out of the mean; all present here")
    add("kornia_binary_focal", "kornia",
        "binary_focal_loss_with_logits(alpha=0.25, gamma=2.0, reduction='mean')",
        lambda p, t: kl.binary_focal_loss_with_logits(p, t, alpha=0.25, gamma=2.0,
                                                      reduction="mean"), x, onehot,
        "focal_loss", {"alpha": 0.25, "gamma": 2.0}, onehot)
    return out, versions


def main():
    torch.set_default_dtype(torch.float64)
    records, versions = cases()
    arrays = {"versions": np.array(json.dumps(versions))}
    for r in records:
        meta = {k: r[k] for k in ("peer", "version", "call", "loss", "params", "transform",
                                  "rtol", "note", "value")}
        arrays[f"{r['name']}.meta"] = np.array(json.dumps(meta))
        arrays[f"{r['name']}.input"] = r["input"]
        arrays[f"{r['name']}.target"] = r["target"]
        arrays[f"{r['name']}.grad"] = r["grad"]
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(records)} cases to {OUT} with {versions}")


if __name__ == "__main__":
    main()
