"""One training run and its evaluation with segmetrics.

:func:`train_run` trains one model with one loss and one seed (Adam, online
augmentation), records the mean training loss and the test Dice after every
epoch, and scores the final model on both splits, per image:

* the prediction is ``p > 1/2`` (sigmoid head) or the arg-max (softmax head:
  the same as ``softmax(z)_1 > 1/2`` for two channels);
* accuracy, Dice, IoU (Jaccard) and Cohen's kappa from :mod:`segmetrics`;
* HD95 (pixels) from :func:`segmetrics.hd95`; an empty prediction has an
  infinite HD95, which is recorded as the image diagonal (the largest possible
  distance) and counted in ``empty``, so means stay finite.

The seed fixes the initialisation, the batch order and the augmentation; the
data split is the same for every seed.
"""
import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

import segmetrics

from . import augment, losses, models

METRICS = ("accuracy", "dice", "iou", "kappa", "hd95")


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines one training run."""

    experiment: str
    model: str
    model_options: dict
    head: str
    loss: str
    seed: int
    epochs: int
    batch_size: int
    lr: float
    augment: bool = True
    device: str = "cpu"

    def key(self):
        return (self.experiment, self.model, self.head, self.loss, self.seed)


@dataclass
class RunResult:
    """Per-epoch curves, per-image scores of both splits, and run facts."""

    spec: RunSpec
    parameters: int
    seconds: float
    curves: list = field(default_factory=list)       # dicts: epoch, train_loss, test_dice
    per_image: list = field(default_factory=list)    # dicts: split, name, loss? metrics
    split_loss: dict = field(default_factory=dict)   # split -> loss of the final model
    examples: np.ndarray = None                      # test probabilities of the first images

    def row(self):
        """One flat record: the spec and the mean of each metric per split."""
        out = {k: v for k, v in asdict(self.spec).items() if k != "model_options"}
        out.update(parameters=self.parameters, seconds=round(self.seconds, 2))
        for split in ("train", "test"):
            rows = [r for r in self.per_image if r["split"] == split]
            out[f"{split}_loss"] = self.split_loss.get(split, math.nan)
            for metric in METRICS:
                out[f"{split}_{metric}"] = float(np.mean([r[metric] for r in rows]))
            out[f"{split}_empty"] = sum(r["empty"] for r in rows)
        out["final_train_loss"] = self.curves[-1]["train_loss"] if self.curves else math.nan
        return out


def score_image(pred, gt):
    """Accuracy, Dice, IoU, kappa and HD95 of one binary prediction (segmetrics)."""
    pred, gt = np.ascontiguousarray(pred, dtype=bool), np.ascontiguousarray(gt, dtype=bool)
    empty = not pred.any()
    hd95 = math.hypot(*gt.shape) if empty else float(segmetrics.hd95(pred, gt))
    return {
        "accuracy": float(segmetrics.accuracy(pred, gt)),
        "dice": float(segmetrics.dice(pred, gt)),
        "iou": float(segmetrics.jaccard(pred, gt)),
        "kappa": float(segmetrics.kappa(pred, gt, zero_division=0.0)),
        "hd95": min(hd95, math.hypot(*gt.shape)),
        "empty": int(empty),
    }


def _tensors(split, device):
    images = torch.from_numpy(split.images).to(device)
    masks = torch.from_numpy(split.masks[:, None].astype(np.float32)).to(device)
    return images, masks


@torch.no_grad()
def predict(model, images, *, chunk=32):
    """Logits of ``images`` in evaluation mode, in chunks."""
    model.eval()
    return torch.cat([model(images[i:i + chunk]) for i in range(0, len(images), chunk)])


def evaluate(model, loss_fn, images, masks):
    """(loss of the whole split, lesion probabilities as NumPy ``(n, H, W)``)."""
    logits = predict(model, images)
    with torch.no_grad():
        loss = float(loss_fn(logits, masks))
    return loss, models.probabilities(logits).cpu().numpy()


def _binary(probabilities):
    return probabilities > 0.5


def train_run(spec, train_split, test_split, *, n_examples=4):
    """Train and evaluate one :class:`RunSpec`; returns a :class:`RunResult`."""
    start = time.perf_counter()
    torch.manual_seed(spec.seed)
    generator = torch.Generator().manual_seed(spec.seed)
    out_channels = 1 if spec.head == "sigmoid" else 2
    model = models.build(spec.model, out_channels=out_channels, **spec.model_options)
    model.to(spec.device)
    loss_fn = losses.make(spec.loss, spec.head)
    optimiser = torch.optim.Adam(model.parameters(), lr=spec.lr)
    train_x, train_y = _tensors(train_split, spec.device)
    test_x, test_y = _tensors(test_split, spec.device)
    result = RunResult(spec, models.count_parameters(model), 0.0)

    for epoch in range(1, spec.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total, seen = 0.0, 0
        for i in range(0, len(order), spec.batch_size):
            index = order[i:i + spec.batch_size].to(spec.device)
            x, y = train_x[index], train_y[index]
            if spec.augment:
                x, y = augment.random_affine(x, y, generator)
            loss = loss_fn(model(x), y)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            total += loss.item() * len(index)
            seen += len(index)
        _, probs = evaluate(model, loss_fn, test_x, test_y)
        test_dice = np.mean([segmetrics.dice(p, g) for p, g in zip(_binary(probs),
                                                                  test_split.masks.astype(bool))])
        result.curves.append({"epoch": epoch, "train_loss": total / seen,
                              "test_dice": float(test_dice)})

    for name, split, x, y in (("train", train_split, train_x, train_y),
                              ("test", test_split, test_x, test_y)):
        loss, probs = evaluate(model, loss_fn, x, y)
        result.split_loss[name] = loss
        for image_name, p, g in zip(split.names, _binary(probs), split.masks):
            result.per_image.append({"split": name, "name": image_name, **score_image(p, g)})
        if name == "test":
            result.examples = probs[:n_examples].astype(np.float16)
    result.seconds = time.perf_counter() - start
    return result
