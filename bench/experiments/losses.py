"""The loss registry: one small factory per loss, all from :mod:`segmetrics.torch`.

``make(name, head)`` returns a module called as ``loss(logits, target)`` with
``logits`` of shape ``(B, 1, H, W)`` (``head="sigmoid"``) or ``(B, 2, H, W)``
(``head="softmax"``, channels background and lesion) and ``target`` the lesion
mask as float ``(B, 1, H, W)`` in {0, 1}.

Choices, the same for every loss so the comparison is fair:

* Region losses sum over the whole batch (``batch=True``), as the Keras code of
  *Technical report on seg CNN and loss* (Jing Zhang, 2019) did (``K.flatten`` of the batch);
  smoothing is the package default (additive, 1e-5), never multiplied into the loss
  (errata, eqs. 27/29/32).
* With the softmax head the region losses score the lesion channel only
  (``include_background=False``), so sigmoid and softmax optimise the same
  quantity and differ only in the parameterisation of the head. The generalised
  Dice loss uses both classes by definition (eq. 13 of *Technical report on seg CNN and loss*,
  l = 1, 2); with the sigmoid head it gets the two channels ``(1 - p, p)``.
* Pixel losses that are binary by nature (weighted CE, focal) read a softmax head
  through its logit difference ``z1 - z0`` (``sigmoid(z1 - z0) = softmax(z)_1``).
* Parameters: focal ``alpha=0.75, gamma=2`` (listing 1 of *Technical report on seg CNN and loss*);
  Tversky ``alpha=0.3`` (FP), ``beta=0.7`` (FN) (Salehi et al. 2017); Hausdorff DT
  ``alpha=2`` (Karimi and Salcudean 2019); weighted CE ``pos_weight="auto"``,
  ``(N - G)/G`` from the batch's ground truth (eq. 9 of *Technical report on seg CNN and loss*,
  corrected).
"""
from dataclasses import dataclass

import torch
from torch import nn

REGION_BATCH = True


@dataclass(frozen=True)
class LossInfo:
    """A registered loss: its table label and its factory ``(head) -> nn.Module``."""

    label: str
    factory: object


class _Adapter(nn.Module):
    """Feeds a segmetrics loss the input and target form it wants for this head."""

    def __init__(self, loss, head, form):
        super().__init__()
        self.loss, self.head, self.form = loss, head, form

    def forward(self, logits, target):
        if self.form == "labels":          # softmax head, integer label map (B, H, W)
            return self.loss(logits, target[:, 0].long())
        if self.form == "difference":      # binary loss on a softmax head
            logits = logits[:, 1:2] - logits[:, 0:1] if self.head == "softmax" else logits
            return self.loss(logits, target)
        if self.form == "two_class":       # sigmoid head as probabilities (1 - p, p)
            p = torch.sigmoid(logits)
            return self.loss(torch.cat([1 - p, p], dim=1), torch.cat([1 - target, target], dim=1))
        return self.loss(logits, target)   # "same": sigmoid head, float mask


def _smt():
    import segmetrics.torch as smt  # imported when a loss is built: torch stays optional
    return smt


def _region(class_name, **params):
    def factory(head):
        cls = getattr(_smt(), class_name)
        if head == "sigmoid":
            return _Adapter(cls(activation="sigmoid", batch=REGION_BATCH, **params), head, "same")
        return _Adapter(cls(activation="softmax", batch=REGION_BATCH, include_background=False,
                            **params), head, "labels")
    return factory


def _binary_pixel(class_name, **params):
    def factory(head):
        return _Adapter(getattr(_smt(), class_name)(**params), head, "difference")
    return factory


def _cross_entropy(head):
    smt = _smt()
    if head == "sigmoid":
        return _Adapter(smt.WeightedCrossEntropyLoss(pos_weight=1.0), head, "same")
    return _Adapter(smt.CrossEntropyLoss(), head, "labels")


def _generalized_dice(head):
    smt = _smt()
    if head == "sigmoid":
        return _Adapter(smt.GeneralizedDiceLoss(batch=REGION_BATCH), head, "two_class")
    return _Adapter(smt.GeneralizedDiceLoss(activation="softmax", batch=REGION_BATCH), head,
                    "labels")


def _hausdorff(head):
    smt = _smt()
    if head == "sigmoid":
        return _Adapter(smt.HausdorffDTLoss(activation="sigmoid", alpha=2.0), head, "same")
    return _Adapter(smt.HausdorffDTLoss(activation="softmax", alpha=2.0), head, "labels")


LOSSES = {
    "ce": LossInfo("Cross entropy", _cross_entropy),
    "wce": LossInfo("Weighted cross entropy", _binary_pixel("WeightedCrossEntropyLoss",
                                                            pos_weight="auto")),
    "focal": LossInfo("Focal (α=0.75, γ=2)", _binary_pixel("FocalLoss", alpha=0.75, gamma=2.0)),
    "dice": LossInfo("Dice", _region("DiceLoss")),
    "gdice": LossInfo("Generalised Dice", _generalized_dice),
    "jaccard": LossInfo("Jaccard", _region("JaccardLoss")),
    "tversky": LossInfo("Tversky (α=0.3, β=0.7)", _region("TverskyLoss", alpha=0.3, beta=0.7)),
    "kappa": LossInfo("Kappa (1 − κ, corrected)", _region("KappaLoss")),
    "kappa_zhang2019": LossInfo("Kappa as in the report (eq. 26)",
                                _region("KappaLossZhang2019")),
    "hausdorff_dt": LossInfo("Hausdorff DT (α=2)", _hausdorff),
}

HEADS = ("sigmoid", "softmax")


def make(name, head):
    """The loss module ``name`` (a key of :data:`LOSSES`) for ``head`` ("sigmoid" or "softmax")."""
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {list(LOSSES)}; got {name!r}")
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}; got {head!r}")
    return LOSSES[name].factory(head)


def missing():
    """Registered losses whose ``segmetrics.torch`` class is not available, with the reason."""
    try:
        smt = _smt()
    except ImportError as error:
        return {name: f"segmetrics.torch cannot be imported ({error})" for name in LOSSES}
    needed = {"ce": ["WeightedCrossEntropyLoss", "CrossEntropyLoss"],
              "wce": ["WeightedCrossEntropyLoss"], "focal": ["FocalLoss"], "dice": ["DiceLoss"],
              "gdice": ["GeneralizedDiceLoss"], "jaccard": ["JaccardLoss"],
              "tversky": ["TverskyLoss"], "kappa": ["KappaLoss"],
              "kappa_zhang2019": ["KappaLossZhang2019"], "hausdorff_dt": ["HausdorffDTLoss"]}
    return {name: f"segmetrics.torch has no {', '.join(c for c in classes if not hasattr(smt, c))}"
            for name, classes in needed.items() if not all(hasattr(smt, c) for c in classes)}
