#!/usr/bin/env python3
"""Regenerates Tests/NeuralNetworksTests/Resources/pytorch_reference.json.

Deterministic: weights, buffers and inputs come from models.pattern (an integer formula),
so the Swift test rebuilds the same model without PyTorch and compares outputs and
gradients. Usage (from the package root):

    .venv-torch/bin/python Scripts/pytorch/make_reference.py
"""
import base64
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)
SAMPLE = 512  # parameter gradients larger than this are stored at SAMPLE strided positions


def encode(t, stride=1):
    a = t.detach().reshape(-1).to(torch.float32).numpy()[::stride][: (SAMPLE if stride > 1 else None)]
    return {"shape": list(t.shape), "stride": stride,
            "data": base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()}


def param_grads(model, out, prefix):
    for name, p in model.named_parameters():
        stride = 1 if p.numel() <= SAMPLE else p.numel() // SAMPLE
        out[f"{prefix}/grad/{name.replace('.', '/')}"] = encode(p.grad, stride)


def image(shape, seed):
    return (models.pattern_tensor(shape, seed) + 1) * 0.5


def main():
    ref = {"recipes": {}, "tensors": {}, "scalars": {}}
    T, S = ref["tensors"], ref["scalars"]

    # LeNet, batch 4, softmax cross-entropy (mean).
    net = models.lenet()
    ref["recipes"]["lenet"] = models.fill_deterministic(net)
    x = image((4, 1, 28, 28), 1001).requires_grad_(True)
    labels = torch.tensor([0, 3, 7, 9])
    logits = net(x)
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    T["lenet/logits"] = encode(logits)
    T["lenet/input_grad"] = encode(x.grad)
    S["lenet/loss"] = loss.item()
    param_grads(net, T, "lenet")

    # IVUS encoder-decoder, batch 2, training mode (batch statistics), MSE (mean).
    net = models.ivus_net()
    ref["recipes"]["ivus"] = models.fill_deterministic(net)
    net.train()
    x = image((2, 1, 64, 64), 2001).requires_grad_(True)
    target = image((2, 1, 64, 64), 2002)
    y = net(x)
    loss = torch.nn.functional.mse_loss(y, target)
    loss.backward()
    T["ivus/output"] = encode(y)
    T["ivus/input_grad"] = encode(x.grad)
    S["ivus/loss"] = loss.item()
    param_grads(net, T, "ivus")
    for name, b in net.named_buffers():
        if not name.endswith("num_batches_tracked"):
            T[f"ivus/after/{name.replace('.', '/')}"] = encode(b)
    net.eval()
    with torch.no_grad():
        T["ivus/eval_output"] = encode(net(x))

    # VAE-784 (latent 3), batch 4, fixed ε: negative ELBO.
    vae = models.VAE(784, 3)
    ref["recipes"]["vae"] = models.fill_deterministic(vae)
    x = image((4, 784), 3001).requires_grad_(True)
    eps = models.pattern_tensor((4, 3), 3002)
    loss = vae.loss(x, eps)
    loss.backward()
    mu, lv = vae.encode(x)
    T["vae/mean"] = encode(mu)
    T["vae/log_variance"] = encode(lv)
    T["vae/input_grad"] = encode(x.grad)
    S["vae/loss"] = loss.item()
    param_grads(vae, T, "vae")

    # The sampler's inner step: dL/dz through the VAE-4096 decoder and the IVUS net in
    # evaluation mode. The IVUS net's running statistics are calibrated on 16 decoded
    # images (one training-mode pass in float64 with momentum 1), rounded to float32 and
    # stored, so that every run uses the same statistics: with the formula weights, dL/dz
    # changes by ~2e-3 relative when they are perturbed at float32 rounding level (1e-7).
    # With the formula weights this evaluation-mode network is ill-conditioned in float32
    # (PyTorch float32 vs float64: ~5e-4 relative on dL/dz), so the reference is computed
    # in float64 and PyTorch's own float32 error is stored beside it.
    calibrated = None

    def latent_case(dtype):
        nonlocal calibrated
        vae = models.VAE(4096, 3)
        recipe_vae = models.fill_deterministic(vae)
        net = models.ivus_net()
        recipe_ivus = models.fill_deterministic(net)
        vae, net = vae.to(dtype), net.to(dtype)
        for p in list(vae.parameters()) + list(net.parameters()):
            p.requires_grad_(False)
        if calibrated is None:
            net.train()
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.momentum = 1.0
            with torch.no_grad():
                zc = models.pattern_tensor((16, 3), 4003, scale=2.0).to(dtype)
                net(torch.sigmoid(vae.decoder(zc)).reshape(16, 1, 64, 64))
            calibrated = {n: b.detach().to(torch.float32).clone() for n, b in net.named_buffers()
                          if not n.endswith("num_batches_tracked")}
        with torch.no_grad():
            for n, b in net.named_buffers():
                if n in calibrated:
                    b.copy_(calibrated[n].to(dtype))
        net.eval()
        z = models.pattern_tensor((4, 3), 4001, scale=2.0).to(dtype).requires_grad_(True)
        target = image((4, 1, 64, 64), 4002).to(dtype)
        images = torch.sigmoid(vae.decoder(z)).reshape(4, 1, 64, 64)
        images.retain_grad()
        loss = torch.nn.functional.mse_loss(net(images), target)
        loss.backward()
        return recipe_vae, recipe_ivus, loss.item(), z.grad, images.grad

    ref["recipes"]["latent_vae"], ref["recipes"]["latent_ivus"], loss64, grad64, _ = latent_case(torch.float64)
    _, _, loss32, grad32, image_grad32 = latent_case(torch.float32)
    for n, b in calibrated.items():
        T[f"latent/buffers/{n.replace('.', '/')}"] = encode(b)
    T["latent/z_grad"] = encode(grad64)
    S["latent/loss"] = loss64
    S["latent/pytorch_float32_error"] = ((grad32.double() - grad64).abs().max() / grad64.abs().max()).item()

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "Tests", "NeuralNetworksTests", "Resources", "pytorch_reference.json")
    with open(out, "w") as f:
        json.dump(ref, f, indent=0, sort_keys=True)
    print(f"wrote {os.path.normpath(out)} ({os.path.getsize(out)} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
