"""Named settings of the grid: ``tiny`` (the test), ``quick`` (2 CPU cores, < 15 min),
``medium`` (one GPU, about 10 minutes) and ``report`` (the full setting of
*Technical report on seg CNN and loss*, Jing Zhang, 2019).

Three experiments make the grid:

* ``losses`` (Table 12): every loss with the U-Net and the sigmoid head;
* ``heads`` (Tables 8-9): the FC-DenseNet with a sigmoid and a softmax head, for
  each loss of ``head_losses`` (*Technical report on seg CNN and loss* compared them on
  its DenseNet);
* ``models`` (Table 10): U-Net against FC-DenseNet, sigmoid head, loss
  ``model_loss``; it reuses the runs of the other two experiments.

Every experiment uses every seed of ``seeds``; the data split is fixed.
"""
from dataclasses import dataclass, field, replace

from .losses import LOSSES


@dataclass(frozen=True)
class GridConfig:
    """The settings of one grid; see the module docstring."""

    name: str
    size: int
    epochs: int
    batch_size: int
    lr: float
    seeds: tuple
    unet: dict
    fcdensenet: dict
    losses: tuple = tuple(LOSSES)
    head_losses: tuple = ("dice", "ce")
    model_loss: str = "dice"
    n_train: int = 99
    n_test: int = 20
    data: str = "synthetic"
    data_seed: int = 0
    augment: bool = True
    notes: str = field(default="", compare=False)

    def with_overrides(self, **changes):
        """A copy with the non-``None`` ``changes`` applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


TINY = GridConfig(
    name="tiny", size=16, epochs=1, batch_size=4, lr=1e-3, seeds=(0,),
    unet=dict(width=4, depth=2, batch_norm=True, dropout=0.0),
    fcdensenet=dict(down_layers=(1, 1), bottleneck_layers=1, growth=4, first_channels=8,
                    dropout=0.0),
    losses=("ce", "dice"), head_losses=("dice",), n_train=6, n_test=2,
    notes="end-to-end test setting; learns nothing")

QUICK = GridConfig(
    name="quick", size=64, epochs=10, batch_size=8, lr=1e-3, seeds=(0, 1, 2),
    unet=dict(width=8, depth=4, batch_norm=True, dropout=0.0, head="plain"),
    fcdensenet=dict(down_layers=(2, 2, 2, 2), bottleneck_layers=2, growth=8, first_channels=16,
                    dropout=0.0),
    head_losses=("dice", "ce"),
    notes="2 CPU cores: narrow nets with batch norm, 64x64 images")

MEDIUM = GridConfig(
    name="medium", size=128, epochs=30, batch_size=8, lr=3e-4, seeds=(0, 1, 2),
    unet=dict(width=32, depth=4, batch_norm=True, dropout=0.0, head="plain"),
    fcdensenet=dict(config="fcdensenet56", dropout=0.2),
    notes="one GPU: FC-DenseNet56 and a width-32 U-Net at 128x128 (not run yet)")

REPORT = GridConfig(
    name="report", size=256, epochs=50, batch_size=2, lr=1e-4, seeds=(0, 1, 2),
    unet=dict(width=64, depth=4, batch_norm=False, dropout=0.5),
    fcdensenet=dict(config="fcdensenet56", dropout=0.2),
    notes="the setting of *Technical report on seg CNN and loss* (Jing Zhang, 2019) on a GPU: "
          "its 31 M-parameter U-Net; FC-DenseNet56 stands in for its 2.1 M-parameter DenseNet")

CONFIGS = {c.name: c for c in (TINY, QUICK, MEDIUM, REPORT)}


def validate(config):
    """Refuse unknown loss names and image sizes the networks cannot take, before training."""
    from .models import TIRAMISU

    for field_name in ("losses", "head_losses"):
        unknown = [name for name in getattr(config, field_name) if name not in LOSSES]
        if unknown:
            raise ValueError(f"{field_name} must be names from {list(LOSSES)}; got {unknown}")
    if config.model_loss not in LOSSES:
        raise ValueError(f"model_loss must be one of {list(LOSSES)}; got {config.model_loss!r}")
    pools = {
        "unet": config.unet.get("depth", 4),
        "fcdensenet": len(TIRAMISU[config.fcdensenet["config"]][0]) if "config" in config.fcdensenet
        else len(config.fcdensenet.get("down_layers", (4, 4, 4, 4, 4))),
    }
    for model, n_pool in pools.items():
        if config.size % 2 ** n_pool:
            raise ValueError(f"size must be divisible by {2 ** n_pool} for the {model} of "
                             f"configuration {config.name!r}; got {config.size}")
    if not config.seeds:
        raise ValueError("seeds must name at least one seed")
