"""PyTorch twins of the engine's architectures (Sources/NeuralNetworks/Architectures.swift,
GenerativeModels.swift), with the same parameter names: the engine's "a/b/weight" is
PyTorch's "a.b.weight". Used by make_reference.py (agreement data) and bench.py (speed).
"""
from collections import OrderedDict

import torch
from torch import nn


def lenet(classes=10):
    """The paper's LeNet (Table S7), as makeLeNet."""
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 20, 5)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(20, 50, 5)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(800, 500)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(500, classes)),
    ]))


def lenet5(classes=10):
    """The classic LeNet-5, as makeLeNet5."""
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 6, 5, padding=2)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(6, 16, 5)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(400, 120)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(120, 84)), ("relu4", nn.ReLU()),
        ("fc3", nn.Linear(84, classes)),
    ]))


def conv_block(i, o):
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(i, o, 3, padding=1)), ("bn", nn.BatchNorm2d(o)), ("relu", nn.ReLU())]))


def ivus_net(c=16):
    def down(i, o):
        return nn.Sequential(OrderedDict([
            ("block1", conv_block(i, o)), ("block2", conv_block(o, o)), ("pool", nn.MaxPool2d(2))]))

    def up(i, o):
        return nn.Sequential(OrderedDict([
            ("deconv", nn.ConvTranspose2d(i, o, 4, stride=2, padding=1)), ("bn", nn.BatchNorm2d(o)),
            ("relu", nn.ReLU()), ("block", conv_block(o, o))]))

    return nn.Sequential(OrderedDict([
        ("down1", down(1, c)), ("down2", down(c, 2 * c)), ("down3", down(2 * c, 4 * c)),
        ("bottleneck", conv_block(4 * c, 4 * c)),
        ("up1", up(4 * c, 2 * c)), ("up2", up(2 * c, c)), ("up3", up(c, c)),
        ("head", nn.Conv2d(c, 1, 3, padding=1)),
    ]))


def vgg16(classes=10):
    """VGG-16 with BatchNorm for 3×32×32 images: features 0, 1, 2, … as in makeVGG16."""
    layers, channels = [], 3
    for entry in [64, 64, None, 128, 128, None, 256, 256, 256, None, 512, 512, 512, None, 512, 512, 512, None]:
        if entry is None:
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, entry, 3, padding=1), nn.BatchNorm2d(entry), nn.ReLU()]
            channels = entry
    return nn.Sequential(OrderedDict([
        ("features", nn.Sequential(*layers)), ("flatten", nn.Flatten()),
        ("classifier", nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(512, 512)), ("relu", nn.ReLU()), ("fc2", nn.Linear(512, classes))]))),
    ]))


class Residual(nn.Module):
    """body(x) + x, as the engine's Residual (no shortcut)."""

    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return self.body(x) + x


def residual_block(channels, activation):
    """makeResidualBlock: conv → BN → act → conv → BN, plus the input, then act."""
    body = nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(channels, channels, 3, padding=1)), ("bn1", nn.BatchNorm2d(channels)),
        ("act", activation()), ("conv2", nn.Conv2d(channels, channels, 3, padding=1)),
        ("bn2", nn.BatchNorm2d(channels))]))
    return nn.Sequential(OrderedDict([("residual", Residual(body)), ("activation", activation())]))


def alpha_gan(latent=128):
    """The engine's AlphaGAN: (encoder, generator, code discriminator, image discriminator)."""
    def lrelu():
        return nn.LeakyReLU(0.2)

    def down(i, o, bn):
        layers = [("conv", nn.Conv2d(i, o, 4, stride=2, padding=1))]
        if bn:
            layers.append(("bn", nn.BatchNorm2d(o)))
        layers.append(("act", lrelu()))
        return nn.Sequential(OrderedDict(layers))

    def up(i, o):
        return nn.Sequential(OrderedDict([
            ("deconv", nn.ConvTranspose2d(i, o, 4, stride=2, padding=1)), ("bn", nn.BatchNorm2d(o)),
            ("act", nn.ReLU())]))

    encoder = nn.Sequential(OrderedDict([
        ("stem", nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(3, 64, 3, padding=1)), ("bn", nn.BatchNorm2d(64)), ("act", lrelu())]))),
        ("res1", residual_block(64, lrelu)), ("down1", down(64, 128, True)),
        ("res2", residual_block(128, lrelu)), ("down2", down(128, 256, True)),
        ("res3", residual_block(256, lrelu)), ("down3", down(256, 256, True)),
        ("flatten", nn.Flatten()), ("fc", nn.Linear(4096, latent))]))
    generator = nn.Sequential(OrderedDict([
        ("fc", nn.Linear(latent, 4096)), ("reshape", nn.Unflatten(1, (256, 4, 4))),
        ("bn", nn.BatchNorm2d(256)), ("act", nn.ReLU()),
        ("up1", up(256, 128)), ("res1", residual_block(128, nn.ReLU)),
        ("up2", up(128, 64)), ("res2", residual_block(64, nn.ReLU)),
        ("up3", up(64, 32)), ("head", nn.Conv2d(32, 3, 3, padding=1)), ("tanh", nn.Tanh())]))
    code_discriminator = nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(latent, 750)), ("act1", lrelu()), ("fc2", nn.Linear(750, 750)), ("act2", lrelu()),
        ("fc3", nn.Linear(750, 1))]))
    image_discriminator = nn.Sequential(OrderedDict([
        ("stem", nn.Sequential(OrderedDict([("conv", nn.Conv2d(3, 64, 3, padding=1)), ("act", lrelu())]))),
        ("res1", residual_block(64, lrelu)), ("down1", down(64, 128, False)),
        ("res2", residual_block(128, lrelu)), ("down2", down(128, 256, False)),
        ("down3", down(256, 256, False)), ("flatten", nn.Flatten()), ("fc", nn.Linear(4096, 1))]))
    return nn.ModuleDict(OrderedDict([
        ("encoder", encoder), ("generator", generator),
        ("codeDiscriminator", code_discriminator), ("imageDiscriminator", image_discriminator)]))


class VAE(nn.Module):
    def __init__(self, inputs=784, latent=3, hidden=(400, 400)):
        super().__init__()
        self.inputs = inputs
        enc, width = OrderedDict(), inputs
        for i, h in enumerate(hidden):
            enc[f"fc{i + 1}"] = nn.Linear(width, h)
            enc[f"relu{i + 1}"] = nn.ReLU()
            width = h
        self.encoder = nn.Sequential(enc)
        self.mean = nn.Linear(width, latent)
        self.log_variance = nn.Linear(width, latent)
        dec, width = OrderedDict(), latent
        for i, h in enumerate(reversed(hidden)):
            dec[f"fc{i + 1}"] = nn.Linear(width, h)
            dec[f"relu{i + 1}"] = nn.ReLU()
            width = h
        dec[f"fc{len(hidden) + 1}"] = nn.Linear(width, inputs)
        self.decoder = nn.Sequential(dec)

    def encode(self, x):
        h = self.encoder(x.reshape(x.shape[0], self.inputs))
        return self.mean(h), self.log_variance(h)

    def loss(self, x, eps):
        """Negative ELBO as in the engine: BCE-with-logits summed over pixels / N + KL mean over N.

        The reconstruction target is a constant (detached), as in the engine.
        """
        n = x.shape[0]
        x = x.reshape(n, self.inputs)
        mu, lv = self.encode(x)
        z = mu + torch.exp(0.5 * lv) * eps
        logits = self.decoder(z)
        rec = nn.functional.binary_cross_entropy_with_logits(logits, x.detach(), reduction="sum") / n
        kl = -0.5 * torch.sum(1 + lv - mu * mu - torch.exp(lv)) / n
        return rec + kl


def pattern(i, seed):
    """Deterministic value in [-1, 1] (exact in float32), shared with the Swift tests."""
    return (((i * 7919 + seed * 104729) % 2001) - 1000) / 1000.0


def pattern_tensor(shape, seed, scale=1.0, offset=0.0):
    n = 1
    for s in shape:
        n *= s
    idx = torch.arange(n, dtype=torch.float64)
    vals = torch.remainder(idx * 7919 + seed * 104729, 2001) - 1000
    return (offset + scale * (vals / 1000.0)).to(torch.float32).reshape(shape)


def fill_deterministic(model):
    """Parameter k (state_dict order, buffers included) gets offset + scale·pattern(i, k).

    weights: scale 1/sqrt(fan_in) (fan_in = numel / shape[0]); biases: 0.1;
    BatchNorm weight: 1 + 0.1·pattern, running_var: 1 + 0.5·|…| (positive), running_mean: 0.1·pattern.
    Returns the list (name, seed, scale, offset, absolute) that the Swift side replays.
    """
    recipe = []
    with torch.no_grad():
        sd = model.state_dict()
        k = 0
        for name, t in sd.items():
            if name.endswith("num_batches_tracked"):
                continue
            owner = model.get_submodule(name.rsplit(".", 1)[0]) if "." in name else model
            is_bn = isinstance(owner, nn.BatchNorm2d)
            absolute = False
            if is_bn and name.endswith("weight"):
                scale, offset = 0.1, 1.0
            elif is_bn and name.endswith("running_var"):
                scale, offset, absolute = 0.5, 1.0, True
            elif name.endswith("bias") or name.endswith("running_mean"):
                scale, offset = 0.1, 0.0
            else:
                fan_in = t.numel() // t.shape[0]
                scale, offset = 1.0 / (fan_in ** 0.5), 0.0
            vals = pattern_tensor(tuple(t.shape), k)
            if absolute:
                vals = vals.abs()
            t.copy_((offset + scale * vals.double()).float())
            recipe.append({"name": name.replace(".", "/"), "seed": k, "scale": scale, "offset": offset,
                           "absolute": absolute})
            k += 1
    return recipe
