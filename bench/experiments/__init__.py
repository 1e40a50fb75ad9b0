"""Training-quality benchmark of the segmetrics losses (issue 7).

Reproduces the loss comparison of Jing Zhang, *Technical report on seg CNN and loss*, April 2019
(U-Net and FC-DenseNet on 119 dermoscopy images, its Tables 8-12) with the losses of
:mod:`segmetrics.torch` and the metrics of :mod:`segmetrics`.

Modules, one job each: :mod:`.data` (synthetic and ISIC data), :mod:`.augment`
(paired geometric augmentation), :mod:`.models` (U-Net, FC-DenseNet),
:mod:`.losses` (the loss registry), :mod:`.train` (one training run and its
evaluation), :mod:`.configs` (named settings), :mod:`.tables` and
:mod:`.plots` (outputs), :mod:`.run_grid` (the command line).

Needs PyTorch and matplotlib (``pip install . -r bench/experiments/requirements.txt``); run with
``python -m bench.experiments.run_grid --config quick --out results/``.
"""
