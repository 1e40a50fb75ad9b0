"""U-Net and FC-DenseNet ("Tiramisu") in plain PyTorch; both return logits.

The head is chosen by ``out_channels``: 1 for a sigmoid head, 2 for a two-channel
softmax head (background, lesion). The activation itself is applied by the loss
(``activation="sigmoid"`` or ``"softmax"``) and by :func:`probabilities`.

* :class:`UNet` follows the Keras U-Net that Jing Zhang's
  *Technical report on seg CNN and loss* (2019) used (zhixuhao/unet: 3x3
  convolutions with "same" padding, max pooling, nearest upsampling followed by a
  2x2 convolution, dropout 0.5 on the two deepest levels, a 3x3 convolution to 2
  channels with ReLU and a 1x1 convolution as head; ``head="plain"`` is a single
  1x1 convolution instead). ``UNet.report()`` is that network:
  width 64, depth 4, 31,031,685 parameters for a one-channel input (31,032,837
  for RGB: the count in *Technical report on seg CNN and loss* matches a grayscale input
  although its table says RGB). ``width`` and ``depth`` make it narrower or
  shallower; ``batch_norm`` adds batch normalisation after each convolution (not in
  *Technical report on seg CNN and loss*).
* :class:`FCDenseNet` is Jegou et al. 2017: a 3x3 convolution to 48 channels,
  dense blocks of BN-ReLU-3x3 conv-dropout layers, transitions down (BN-ReLU-1x1
  conv-dropout-max pool) and up (3x3 transposed convolution of the new feature
  maps only). ``FCDenseNet.tiramisu("fcdensenet56" | "fcdensenet67" | "fcdensenet103")``
  builds the paper's configurations, with the growth rate as an option.

The input side must be divisible by ``2 ** depth`` (U-Net) or ``2 ** len(down_layers)``.
"""
import torch
from torch import nn

TIRAMISU = {
    # name: (layers per down block, bottleneck layers, growth rate), Jegou et al. 2017, Table 2
    "fcdensenet56": ((4, 4, 4, 4, 4), 4, 12),
    "fcdensenet67": ((5, 5, 5, 5, 5), 5, 16),
    "fcdensenet103": ((4, 5, 7, 10, 12), 15, 16),
}


def count_parameters(model):
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _check_side(x, factor, name):
    side = x.shape[-2:]
    if side[0] % factor or side[1] % factor:
        raise ValueError(f"{name} needs an input side divisible by {factor}; got {tuple(side)}")


def _conv(c_in, c_out, kernel, batch_norm):
    if kernel % 2:
        layers = [nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=not batch_norm)]
    else:  # Keras "same" for an even kernel: the extra row and column at the end
        layers = [nn.ZeroPad2d((0, 1, 0, 1)),
                  nn.Conv2d(c_in, c_out, kernel, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.ReLU(inplace=True))
    return layers


class UNet(nn.Module):
    """U-Net returning logits of shape ``(B, out_channels, H, W)``.

    Parameters
    ----------
    in_channels, out_channels : int
        3 for RGB; 1 (sigmoid head) or 2 (softmax head).
    width : int
        Channels of the first level; level ``i`` has ``width * 2**i``.
    depth : int
        Number of poolings.
    batch_norm : bool
        Batch normalisation after every convolution of the encoder and decoder.
    dropout : float
        Dropout on the two deepest levels (0.5 in the network of
        *Technical report on seg CNN and loss*).
    head : {"keras", "plain"}
        "keras": the 3x3 convolution to 2 channels, ReLU, then 1x1 of
        *Technical report on seg CNN and loss* (a
        two-unit ReLU bottleneck: when both units die the output is constant,
        which happens at initialisation for some seeds); "plain": one 1x1 convolution.

    Examples
    --------
    >>> count_parameters(UNet.report(in_channels=1))
    31031685
    """

    def __init__(self, in_channels=3, out_channels=1, *, width=64, depth=4, batch_norm=False,
                 dropout=0.5, head="keras"):
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"depth and width must be >= 1; got depth={depth}, width={width}")
        self.depth = depth
        chans = [width * 2 ** i for i in range(depth + 1)]
        self.down = nn.ModuleList()
        c_in = in_channels
        for c in chans:
            self.down.append(nn.Sequential(*_conv(c_in, c, 3, batch_norm),
                                           *_conv(c, c, 3, batch_norm)))
            c_in = c
        self.drop = nn.Dropout(dropout)
        self.pool = nn.MaxPool2d(2)
        self.up, self.merge = nn.ModuleList(), nn.ModuleList()
        for c in reversed(chans[:-1]):
            self.up.append(nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                                         *_conv(2 * c, c, 2, batch_norm)))
            self.merge.append(nn.Sequential(*_conv(2 * c, c, 3, batch_norm),
                                            *_conv(c, c, 3, batch_norm)))
        if head == "keras":
            self.head = nn.Sequential(*_conv(width, 2, 3, False), nn.Conv2d(2, out_channels, 1))
        elif head == "plain":
            self.head = nn.Conv2d(width, out_channels, 1)
        else:
            raise ValueError(f"head must be 'keras' or 'plain'; got {head!r}")

    @classmethod
    def report(cls, in_channels=3, out_channels=1):
        """The U-Net of *Technical report on seg CNN and loss*.

        Width 64, depth 4, no batch norm, dropout 0.5.
        """
        return cls(in_channels, out_channels, width=64, depth=4, batch_norm=False, dropout=0.5,
                   head="keras")

    def forward(self, x):
        _check_side(x, 2 ** self.depth, "UNet")
        skips = []
        for level, block in enumerate(self.down):
            x = block(x)
            if level >= self.depth - 1:
                x = self.drop(x)
            if level < self.depth:
                skips.append(x)
                x = self.pool(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips)):
            x = merge(torch.cat([skip, up(x)], dim=1))
        return self.head(x)


class _DenseLayer(nn.Sequential):
    def __init__(self, c_in, growth, dropout):
        super().__init__(nn.BatchNorm2d(c_in), nn.ReLU(inplace=True),
                         nn.Conv2d(c_in, growth, 3, padding=1), nn.Dropout2d(dropout))


class _DenseBlock(nn.Module):
    """Returns the input and the new feature maps concatenated, or the new ones only."""

    def __init__(self, c_in, n_layers, growth, dropout, new_only):
        super().__init__()
        self.new_only = new_only
        self.layers = nn.ModuleList(
            _DenseLayer(c_in + i * growth, growth, dropout) for i in range(n_layers))

    def forward(self, x):
        new = []
        for layer in self.layers:
            out = layer(x)
            x = torch.cat([x, out], dim=1)
            new.append(out)
        return torch.cat(new, dim=1) if self.new_only else x


class FCDenseNet(nn.Module):
    """FC-DenseNet (Jegou et al. 2017) returning logits of shape ``(B, out_channels, H, W)``.

    Parameters
    ----------
    in_channels, out_channels : int
        3 for RGB; 1 (sigmoid head) or 2 (softmax head).
    down_layers : sequence of int
        Layers of each down-path dense block; the up path mirrors it.
    bottleneck_layers : int
        Layers of the bottleneck dense block.
    growth : int
        Feature maps added by each dense layer.
    first_channels : int
        Channels of the first 3x3 convolution (48 in the paper).
    dropout : float
        Dropout after every convolution (0.2 in the paper).

    Examples
    --------
    >>> count_parameters(FCDenseNet.tiramisu("fcdensenet103", out_channels=11)) > 9_000_000
    True
    """

    def __init__(self, in_channels=3, out_channels=1, *, down_layers=(4, 4, 4, 4, 4),
                 bottleneck_layers=4, growth=12, first_channels=48, dropout=0.2):
        super().__init__()
        self.n_pool = len(down_layers)
        self.first = nn.Conv2d(in_channels, first_channels, 3, padding=1)
        c = first_channels
        self.down_blocks, self.transitions_down = nn.ModuleList(), nn.ModuleList()
        skip_channels = []
        for n in down_layers:
            self.down_blocks.append(_DenseBlock(c, n, growth, dropout, new_only=False))
            c += n * growth
            skip_channels.append(c)
            self.transitions_down.append(nn.Sequential(
                nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.Conv2d(c, c, 1), nn.Dropout2d(dropout),
                nn.MaxPool2d(2)))
        self.bottleneck = _DenseBlock(c, bottleneck_layers, growth, dropout, new_only=True)
        new = bottleneck_layers * growth
        self.transitions_up, self.up_blocks = nn.ModuleList(), nn.ModuleList()
        ups = list(reversed(down_layers))
        for i, (n, skip) in enumerate(zip(ups, reversed(skip_channels))):
            self.transitions_up.append(
                nn.ConvTranspose2d(new, new, 3, stride=2, padding=1, output_padding=1))
            last = i == len(ups) - 1
            self.up_blocks.append(_DenseBlock(new + skip, n, growth, dropout, new_only=not last))
            c = new + skip + n * growth if last else None
            new = n * growth
        self.head = nn.Conv2d(c, out_channels, 1)

    @classmethod
    def tiramisu(cls, name, in_channels=3, out_channels=1, *, growth=None, dropout=0.2):
        """FC-DenseNet56, 67 or 103 of the paper; ``growth`` overrides the growth rate."""
        try:
            down, bottleneck, paper_growth = TIRAMISU[name]
        except KeyError:
            raise ValueError(f"name must be one of {sorted(TIRAMISU)}; got {name!r}") from None
        return cls(in_channels, out_channels, down_layers=down, bottleneck_layers=bottleneck,
                   growth=growth or paper_growth, dropout=dropout)

    def forward(self, x):
        _check_side(x, 2 ** self.n_pool, "FCDenseNet")
        x = self.first(x)
        skips = []
        for block, down in zip(self.down_blocks, self.transitions_down):
            x = block(x)
            skips.append(x)
            x = down(x)
        x = self.bottleneck(x)
        for up, block, skip in zip(self.transitions_up, self.up_blocks, reversed(skips)):
            x = block(torch.cat([up(x), skip], dim=1))
        return self.head(x)


def build(name, *, out_channels, **options):
    """A model by name: ``"unet"`` (``UNet`` options) or ``"fcdensenet"`` (``tiramisu``
    name via ``config=``, or explicit ``FCDenseNet`` options)."""
    if name == "unet":
        return UNet(3, out_channels, **options)
    if name == "fcdensenet":
        options = dict(options)
        config = options.pop("config", None)
        if config is not None:
            return FCDenseNet.tiramisu(config, 3, out_channels, **options)
        return FCDenseNet(3, out_channels, **options)
    raise ValueError(f"model must be 'unet' or 'fcdensenet'; got {name!r}")


def probabilities(logits):
    """Lesion probability ``(B, H, W)``: sigmoid of one channel, softmax channel 1 of two."""
    if logits.shape[1] == 1:
        return torch.sigmoid(logits[:, 0])
    return torch.softmax(logits, dim=1)[:, 1]
