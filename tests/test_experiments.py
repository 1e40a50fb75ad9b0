"""The loss-comparison experiments of bench/experiments (issue 7), end to end on a tiny setting.

Runs in seconds: 16x16 images, 6 training images, one epoch, two losses, one seed.
"""
import csv
import doctest
import importlib
from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")
pytest.importorskip("scipy")

from experiments import augment, configs, data, losses, models, run_grid  # noqa: E402


def _csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_tiny_grid_writes_every_table_and_figure(tmp_path):
    config = configs.TINY
    missing = losses.missing()
    if any(loss in missing for loss in config.losses):
        pytest.skip(f"segmetrics.torch lacks losses of the tiny grid: {missing}")
    run_grid.run(config, tmp_path, jobs=1, log=lambda message: None)

    for name in ("table12", "table8_9_heads", "table10_models"):
        assert (tmp_path / f"{name}.md").read_text().startswith("| ")
    for name in ("loss_curves", "comparison_curves", "predictions"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    table12 = _csv(tmp_path / "table12.csv")
    assert [row["loss"] for row in table12] == list(config.losses)
    for split in ("train", "test"):
        for metric in ("loss", "accuracy", "dice", "iou", "kappa", "hd95"):
            for row in table12:
                assert np.isfinite(float(row[f"{split}_{metric}_mean"]))
                assert float(row[f"{split}_{metric}_std"]) == 0.0  # one seed
    for row in table12:
        assert 0 <= float(row["test_dice_mean"]) <= 1

    heads = _csv(tmp_path / "table8_9_heads.csv")
    assert [(row["loss"], row["head"]) for row in heads] == [("dice", "sigmoid"),
                                                             ("dice", "softmax")]
    models_ = _csv(tmp_path / "table10_models.csv")
    assert [row["model"] for row in models_] == ["unet", "fcdensenet"]
    assert all(int(float(row["parameters_mean"])) > 0 for row in models_)

    runs = _csv(tmp_path / "runs.csv")
    assert len(runs) == len(run_grid.plan(config))
    per_image = _csv(tmp_path / "per_image.csv")
    assert len(per_image) == len(runs) * (config.n_train + config.n_test)
    curves = _csv(tmp_path / "curves.csv")
    assert len(curves) == len(runs) * config.epochs
    assert "tiny" in (tmp_path / "summary.md").read_text()


def test_plan_covers_every_experiment():
    config = replace(configs.QUICK, seeds=(0, 1, 2))
    specs = run_grid.plan(config)
    keys = {spec.key() for spec in specs}
    assert len(keys) == len(specs)
    assert len(specs) == 3 * (len(losses.LOSSES) + 2 * len(config.head_losses))
    table10 = replace(config, model_loss="jaccard", head_losses=("dice",))
    extra = [s for s in run_grid.plan(table10) if s.experiment == "models"]
    assert {(s.model, s.loss) for s in extra} == {("fcdensenet", "jaccard")}


def test_synthetic_data_is_seeded_and_independent_of_count():
    images, masks = data.synthetic_dataset(3, 32, seed=5)
    again, again_masks = data.synthetic_dataset(2, 32, seed=5)
    np.testing.assert_array_equal(images[:2], again)
    np.testing.assert_array_equal(masks[:2], again_masks)
    assert images.dtype == np.float32 and 0 <= images.min() and images.max() <= 1
    assert all(0 < m.mean() < 0.6 for m in masks)  # one lesion, never the whole image
    other, _ = data.synthetic_dataset(1, 32, seed=6)
    assert not np.array_equal(images[0], other[0])


def test_split_is_the_reports_by_default():
    train, test = data.load("synthetic", 8)
    assert (len(train), len(test)) == (99, 20)
    assert not set(train.names) & set(test.names)


def test_isic_folder_loader(tmp_path):
    image_module = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    for name in ("ISIC_0000001", "ISIC_0000002", "ISIC_0000003"):
        rgb = (rng.random((20, 24, 3)) * 255).astype(np.uint8)
        image_module.fromarray(rgb).save(tmp_path / f"{name}.jpg")
        mask = np.zeros((20, 24), np.uint8)
        mask[5:15, 6:18] = 255
        image_module.fromarray(mask).save(tmp_path / f"{name}_segmentation.png")
    images, masks, names = data.load_isic(tmp_path, 16)
    assert images.shape == (3, 3, 16, 16) and masks.shape == (3, 16, 16)
    assert names == ("ISIC_0000001", "ISIC_0000002", "ISIC_0000003")
    assert set(np.unique(masks)) == {0, 1}
    train, test = data.load(str(tmp_path), 16, n_test=1)
    assert (len(train), len(test)) == (2, 1)
    (tmp_path / "ISIC_0000003_segmentation.png").unlink()
    with pytest.raises(FileNotFoundError, match="ISIC_0000003_segmentation.png"):
        data.load_isic(tmp_path, 16)


def test_augmentation_moves_image_and_mask_together():
    generator = torch.Generator().manual_seed(0)
    masks = torch.zeros(4, 1, 32, 32)
    masks[:, :, 8:20, 10:26] = 1
    images = masks.repeat(1, 3, 1, 1)
    out_images, out_masks = augment.random_affine(images, masks, generator)
    assert set(out_masks.unique().tolist()) <= {0.0, 1.0}
    agree = ((out_images[:, :1] > 0.5) == (out_masks > 0.5)).float().mean()
    assert agree > 0.97  # they differ only where bilinear and nearest round differently
    same_images, same_masks = augment.random_affine(
        images, masks, generator, max_rotation_deg=0.0, scale=(1.0, 1.0), flip=False)
    torch.testing.assert_close(same_masks, masks)
    torch.testing.assert_close(same_images, images)


@pytest.mark.parametrize("head", losses.HEADS)
def test_models_give_one_logit_map_per_head_channel(head):
    channels = 1 if head == "sigmoid" else 2
    x = torch.rand(2, 3, 16, 16)
    unet = models.UNet(3, channels, width=4, depth=2, batch_norm=True)
    dense = models.FCDenseNet(3, channels, down_layers=(1, 1), bottleneck_layers=1, growth=4,
                              first_channels=8)
    for model in (unet, dense):
        with torch.no_grad():
            logits = model(x)
        assert logits.shape == (2, channels, 16, 16)
        p = models.probabilities(logits)
        assert p.shape == (2, 16, 16) and float(p.min()) >= 0 and float(p.max()) <= 1
    with pytest.raises(ValueError, match="divisible by 4"):
        unet(torch.rand(1, 3, 18, 18))


def test_report_unet_has_the_reports_parameter_count():
    assert models.count_parameters(models.UNet.report(in_channels=1)) == 31_031_685


def test_unet_heads():
    keras = models.UNet(3, 1, width=4, depth=2)
    plain = models.UNet(3, 1, width=4, depth=2, head="plain")
    assert models.count_parameters(keras) - models.count_parameters(plain) == (4 * 2 * 9 + 2) + 3 - 5
    with pytest.raises(ValueError, match="head must be"):
        models.UNet(head="linear")


@pytest.mark.parametrize("head", losses.HEADS)
@pytest.mark.parametrize("name", list(losses.LOSSES))
def test_every_registered_loss_trains_both_heads(name, head):
    reason = losses.missing().get(name)
    if reason:
        pytest.skip(reason)
    channels = 1 if head == "sigmoid" else 2
    torch.manual_seed(0)
    logits = torch.randn(2, channels, 12, 12, requires_grad=True)
    target = torch.zeros(2, 1, 12, 12)
    target[:, :, 3:8, 4:9] = 1
    loss = losses.make(name, head)(logits, target)
    loss.backward()
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


def test_configurations_are_valid_and_bad_ones_refused():
    for config in configs.CONFIGS.values():
        configs.validate(config)
    with pytest.raises(ValueError, match="divisible by 16"):
        configs.validate(replace(configs.QUICK, size=72))
    with pytest.raises(ValueError, match="losses must be names"):
        configs.validate(replace(configs.QUICK, losses=("dice", "l1")))


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="loss must be one of"):
        losses.make("l2", "sigmoid")
    with pytest.raises(ValueError, match="head must be one of"):
        losses.make("dice", "tanh")
    with pytest.raises(ValueError, match="name must be one of"):
        models.FCDenseNet.tiramisu("fcdensenet42")


@pytest.mark.parametrize("module", ["data", "models", "augment"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(f"experiments.{module}"))
    assert result.attempted > 0 and result.failed == 0
