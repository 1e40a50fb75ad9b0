"""PNG figures: training curves and example predictions (matplotlib, Agg backend)."""
import numpy as np

from .losses import LOSSES


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot
    return pyplot


def _mean_curve(curves, column, **match):
    """Epochs and the mean over seeds of ``column`` for the curves matching ``match``."""
    rows = [c for c in curves if all(c[k] == v for k, v in match.items())]
    epochs = sorted({r["epoch"] for r in rows})
    by_seed = {}
    for r in rows:
        by_seed.setdefault(r["seed"], {})[r["epoch"]] = r[column]
    values = np.array([[seed_rows[e] for e in epochs] for seed_rows in by_seed.values()])
    return np.array(epochs), values


def _band(ax, epochs, values, label, **style):
    mean = values.mean(axis=0)
    line, = ax.plot(epochs, mean, label=label, **style)
    if len(values) > 1:
        ax.fill_between(epochs, values.min(axis=0), values.max(axis=0), alpha=0.12,
                        color=line.get_color())


def loss_curves(curves, path, *, losses):
    """Test Dice per epoch (mean over seeds, band = min..max) and the training loss
    relative to its first epoch, one line per loss (U-Net, sigmoid head)."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = ["-", "--", ":", "-."]
    for i, loss in enumerate(losses):
        style = {"linestyle": styles[i // 10 % 4]}
        epochs, dice = _mean_curve(curves, "test_dice", experiment="losses", loss=loss)
        if len(epochs) == 0:
            continue
        _band(left, epochs, dice, LOSSES[loss].label, **style)
        _, train = _mean_curve(curves, "train_loss", experiment="losses", loss=loss)
        relative = train / np.where(train[:, :1] == 0, 1, train[:, :1])
        _band(right, epochs, relative, LOSSES[loss].label, **style)
    left.set(xlabel="epoch", ylabel="test Dice", ylim=(0, 1), title="Test Dice (U-Net, sigmoid)")
    right.set(xlabel="epoch", ylabel="training loss / epoch-1 value",
              title="Training loss, relative")
    left.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def comparison_curves(curves, path, *, head_losses, model_loss):
    """Test Dice per epoch: sigmoid vs softmax head (FC-DenseNet) and U-Net vs FC-DenseNet."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for loss in head_losses:
        for head, style in (("sigmoid", "-"), ("softmax", "--")):
            epochs, dice = _mean_curve(curves, "test_dice", experiment="heads", loss=loss,
                                       head=head)
            if len(epochs):
                _band(left, epochs, dice, f"{LOSSES[loss].label}, {head}", linestyle=style)
    for model, experiments in (("unet", ("losses", "models")), ("fcdensenet", ("heads", "models"))):
        for experiment in experiments:
            epochs, dice = _mean_curve(curves, "test_dice", experiment=experiment, model=model,
                                       loss=model_loss, head="sigmoid")
            if len(epochs):
                _band(right, epochs, dice, {"unet": "U-Net", "fcdensenet": "FC-DenseNet"}[model])
                break
    left.set(xlabel="epoch", ylabel="test Dice", ylim=(0, 1),
             title="Sigmoid vs softmax head (FC-DenseNet)")
    right.set(xlabel="epoch", ylabel="test Dice", ylim=(0, 1),
              title=f"U-Net vs FC-DenseNet ({LOSSES[model_loss].label}, sigmoid)")
    for ax in (left, right):
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def predictions(test_split, examples, path, *, losses):
    """Test images with the ground truth outline, then each loss's prediction (seed 0).

    ``examples`` maps a loss name to lesion probabilities ``(k, H, W)`` of the first
    ``k`` test images.
    """
    plt = _pyplot()
    losses = [loss for loss in losses if loss in examples]
    k = min(len(v) for v in examples.values())
    cols = 2 + len(losses)
    fig, axes = plt.subplots(k, cols, figsize=(1.3 * cols, 1.4 * k + 0.4), squeeze=False)
    for row in range(k):
        gt = test_split.masks[row]
        axes[row, 0].imshow(test_split.images[row].transpose(1, 2, 0))
        axes[row, 0].contour(gt, [0.5], colors="lime", linewidths=0.8)
        axes[row, 1].imshow(gt, cmap="gray", vmin=0, vmax=1)
        for col, loss in enumerate(losses, start=2):
            axes[row, col].imshow(np.asarray(examples[loss][row], dtype=float) > 0.5, cmap="gray",
                                  vmin=0, vmax=1)
            axes[row, col].contour(gt, [0.5], colors="lime", linewidths=0.6)
    titles = ["image", "ground truth"] + [LOSSES[loss].label for loss in losses]
    for col, title in enumerate(titles):
        axes[0, col].set_title(title, fontsize=6)
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
