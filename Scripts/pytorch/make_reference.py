#!/usr/bin/env python3
"""Regenerates Tests/NeuralNetworksTests/Resources/pytorch_reference.json.

Deterministic: weights, buffers and inputs come from models.pattern (an integer formula),
so the Swift test rebuilds the same model without PyTorch and compares outputs and
gradients. Usage (from the package root):

    .venv-torch/bin/python Scripts/pytorch/make_reference.py
"""
import base64
import json
import math
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


def sample_stride(t):
    """Stride for SAMPLE elements of a large tensor, coprime with its row length (elements
    per leading index): a stride that is a multiple of the row length would sample one input
    channel only, whose gradients may all be tiny (a channel switched off by its ReLUs)."""
    if t.numel() <= SAMPLE:
        return 1
    row = t.numel() // t.shape[0]
    stride = t.numel() // SAMPLE
    while math.gcd(stride, row) != 1:
        stride -= 1
    return stride


def param_grads(model, out, prefix):
    for name, p in model.named_parameters():
        out[f"{prefix}/grad/{name.replace('.', '/')}"] = encode(p.grad, sample_stride(p.grad))


def image(shape, seed):
    return (models.pattern_tensor(shape, seed) + 1) * 0.5


GRADIENT_SHAPE = (4, 1, 16, 16)  # the IVUS gradient case
VGG_LABELS = [7]  # the VGG-16 gradient case: one 3×32×32 image


def ivus_loss_of_output(y, seed):
    return torch.nn.functional.mse_loss(y, image(GRADIENT_SHAPE, seed + 1).to(y.dtype))


def ivus_loss(net, x, seed):
    return ivus_loss_of_output(net(x), seed)


def vgg_loss_of_logits(logits):
    return torch.nn.functional.cross_entropy(logits, torch.tensor(VGG_LABELS))


def vgg_loss(net, x, seed):
    return vgg_loss_of_logits(net(x))


GAN_BATCH = 1


def gan_loss(gan, x, seed):
    """A scalar touching all four α-GAN networks: MSE of E(x) and G(z) against pattern
    targets, plus the mean logits of both discriminators; z is pattern seed + 1000."""
    F = torch.nn.functional
    z = models.pattern_tensor((GAN_BATCH, 128), seed + 1000).to(x.dtype)
    if x.requires_grad:
        z.requires_grad_(True)
    code_target = models.pattern_tensor((GAN_BATCH, 128), seed + 2000, scale=0.5).to(x.dtype)
    image_target = models.pattern_tensor((GAN_BATCH, 3, 32, 32), seed + 3000).to(x.dtype)
    loss = (F.mse_loss(gan["encoder"](x), code_target) + F.mse_loss(gan["generator"](z), image_target)
            + gan["codeDiscriminator"](z).mean() + gan["imageDiscriminator"](x).mean())
    return loss, z


def well_posed_input_seed(make_net, shape, loss, training, candidates):
    """The input seed for a gradient case. Among seeds whose PyTorch float32 parameter
    gradients are within 1e-5 of float64 (the case is well conditioned), the one whose
    smallest |ReLU input|, relative to the largest in its layer, is largest (in float64).
    Returns (seed, margin, float32 error)."""
    nets = {}
    for dtype in (torch.float32, torch.float64):
        net = make_net()
        models.fill_deterministic(net)
        nets[dtype] = net.to(dtype).train(training)
    relu_inputs = []
    for m in nets[torch.float64].modules():
        if isinstance(m, (torch.nn.ReLU, torch.nn.LeakyReLU)):
            m.register_forward_hook(lambda mod, inp, out: relu_inputs.append(inp[0].detach()))

    def gradients(dtype, seed):
        net = nets[dtype]
        net.zero_grad()
        value = loss(net, image(shape, seed).to(dtype), seed)
        (value[0] if isinstance(value, tuple) else value).backward()
        return {n: p.grad.double().clone() for n, p in net.named_parameters()}

    best = None
    for seed in candidates:
        relu_inputs.clear()
        g64 = gradients(torch.float64, seed)
        margin = min((a.abs().min() / a.abs().max()).item() for a in relu_inputs)
        g32 = gradients(torch.float32, seed)
        error = max(((g32[n] - g64[n]).abs().max() / g64[n].abs().max()).item()
                    for n in g64 if g64[n].abs().max() > 1e-5)
        if error <= 1e-5 and (best is None or margin > best[1]):
            best = (seed, margin, error)
    return best


def pick_input_seed(S, prefix, make_net, shape, loss, training, candidates):
    """well_posed_input_seed, recorded under prefix/ (seed, ReLU margin, PyTorch's float32
    error) and printed; returns the seed."""
    seed, margin, error = well_posed_input_seed(make_net, shape, loss, training, candidates)
    S[f"{prefix}/input_seed"], S[f"{prefix}/relu_margin"], S[f"{prefix}/pytorch_float32_error"] = seed, margin, error
    print(f"{prefix} gradient case: input seed {seed}, ReLU margin {margin:.2e}, PyTorch float32 error {error:.2e}")
    return seed


def main():
    ref = {"recipes": {}, "tensors": {}, "scalars": {}}
    T, S = ref["tensors"], ref["scalars"]

    # The paper's LeNet (Table S7) and the classic LeNet-5, batch 4, softmax cross-entropy (mean).
    for name, make in (("lenet", models.lenet), ("lenet5", models.lenet5)):
        net = make()
        ref["recipes"][name] = models.fill_deterministic(net)
        x = image((4, 1, 28, 28), 1001).requires_grad_(True)
        labels = torch.tensor([0, 3, 7, 9])
        logits = net(x)
        loss = torch.nn.functional.cross_entropy(logits, labels)
        loss.backward()
        T[f"{name}/logits"] = encode(logits)
        T[f"{name}/input_grad"] = encode(x.grad)
        S[f"{name}/loss"] = loss.item()
        param_grads(net, T, name)

    # IVUS encoder-decoder, batch 2 of 64×64, training mode (batch statistics), MSE (mean):
    # outputs, loss and the running statistics after the step (gradients: below).
    net = models.ivus_net()
    ref["recipes"]["ivus"] = models.fill_deterministic(net)
    net.train()
    x = image((2, 1, 64, 64), 2001)
    target = image((2, 1, 64, 64), 2002)
    with torch.no_grad():
        y = net(x)
        loss = torch.nn.functional.mse_loss(y, target)
    T["ivus/output"] = encode(y)
    S["ivus/loss"] = loss.item()
    for name, b in net.named_buffers():
        if not name.endswith("num_batches_tracked"):
            T[f"ivus/after/{name.replace('.', '/')}"] = encode(b)
    net.eval()
    with torch.no_grad():
        T["ivus/eval_output"] = encode(net(x))

    # IVUS net gradients on a batch of 4 16×16 images (the net is fully convolutional).
    # A gradient jumps where a ReLU input crosses zero, so agreement to 1e-4 is only
    # well-posed when no ReLU input lies within float32 noise (~1e-6 of the layer's
    # largest) of zero: on 2×64×64 images the nearest one is ~1e-6 away for every input
    # tried. The seed below keeps them ≥ 1e-5 away, with float32 gradients within 1e-5 of
    # float64 (see well_posed_input_seed). make_reference.py prints both figures.
    seed = pick_input_seed(S, "ivus16", models.ivus_net, GRADIENT_SHAPE, ivus_loss, True, range(2001, 2041))
    net = models.ivus_net()
    ref["recipes"]["ivus16"] = models.fill_deterministic(net)
    net.train()
    x = image(GRADIENT_SHAPE, seed).requires_grad_(True)
    y = net(x)
    loss = ivus_loss_of_output(y, seed)
    loss.backward()
    T["ivus16/output"] = encode(y)
    T["ivus16/input_grad"] = encode(x.grad)
    S["ivus16/loss"] = loss.item()
    param_grads(net, T, "ivus16")

    # VGG-16 (3×32×32): training-mode logits for a batch of 4 (batch statistics), then the
    # gradients of one image in evaluation mode (running statistics from fill_deterministic).
    # In training mode the last blocks normalize a 1×1 map over the batch, which makes
    # float32 gradients ~1e-4 off float64 even in PyTorch; evaluation mode is ~1e-6.
    net = models.vgg16()
    ref["recipes"]["vgg16"] = models.fill_deterministic(net)
    net.train()
    with torch.no_grad():
        T["vgg16/train_logits"] = encode(net(image((4, 3, 32, 32), 5001)))
    seed = pick_input_seed(S, "vgg16", models.vgg16, (1, 3, 32, 32), vgg_loss, False, range(5001, 5031))
    net = models.vgg16()
    models.fill_deterministic(net)
    net.eval()
    x = image((1, 3, 32, 32), seed).requires_grad_(True)
    logits = net(x)
    loss = vgg_loss_of_logits(logits)
    loss.backward()
    T["vgg16/logits"] = encode(logits)
    T["vgg16/input_grad"] = encode(x.grad)
    S["vgg16/loss"] = loss.item()
    param_grads(net, T, "vgg16")

    # α-GAN (latent 128, 3×32×32), evaluation mode (running statistics from the recipe):
    # gan_loss for one image and one code, its gradients with respect to x, z and every parameter.
    gan = models.alpha_gan()
    ref["recipes"]["alphagan"] = models.fill_deterministic(gan)
    seed = pick_input_seed(S, "alphagan", models.alpha_gan, (GAN_BATCH, 3, 32, 32), gan_loss, False, range(6001, 6041))
    gan.eval()
    x = image((GAN_BATCH, 3, 32, 32), seed).requires_grad_(True)
    loss, z = gan_loss(gan, x, seed)
    loss.backward()
    S["alphagan/loss"] = loss.item()
    T["alphagan/input_grad"] = encode(x.grad)
    T["alphagan/code_grad"] = encode(z.grad)
    param_grads(gan, T, "alphagan")

    # The paper's VAEs (Tables S9–S12: 784→400→400→3 and 4096→400→400→3), batch 4, fixed ε:
    # negative ELBO.
    for name, pixels in (("vae", 784), ("vae4096", 4096)):
        vae = models.VAE(pixels, 3)
        ref["recipes"][name] = models.fill_deterministic(vae)
        x = image((4, pixels), 3001).requires_grad_(True)
        eps = models.pattern_tensor((4, 3), 3002)
        loss = vae.loss(x, eps)
        loss.backward()
        mu, lv = vae.encode(x)
        T[f"{name}/mean"] = encode(mu)
        T[f"{name}/log_variance"] = encode(lv)
        T[f"{name}/input_grad"] = encode(x.grad)
        S[f"{name}/loss"] = loss.item()
        param_grads(vae, T, name)

    # The sampler's inner step: dL/dz through the VAE-4096 decoder and the IVUS net in
    # evaluation mode. The IVUS net's running statistics are calibrated on 16 decoded
    # images (one training-mode pass in float64 with momentum 1), rounded to float32 and
    # stored, so that every run uses the same statistics: with the formula weights, dL/dz
    # changes by ~2e-3 relative when they are perturbed at float32 rounding level (1e-7).
    # With the formula weights this evaluation-mode network is ill-conditioned in float32
    # (PyTorch float32 vs float64: ~6e-3 relative on dL/dz with the 400-400 VAE), so the reference is computed
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
