#!/usr/bin/env python3
"""PyTorch side of `engine-bench --compare-pytorch`: times one workload on the CPU and
prints one JSON line {workload, samples_per_s, peak_rss_mb, torch}. The models, batch
sizes and optimizer settings match Sources/engine-bench/Workloads.swift.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402


def make_step(workload):
    torch.manual_seed(99)
    F = torch.nn.functional
    if workload == "lenet_train":
        net = models.lenet()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        x = torch.rand(64, 1, 28, 28)
        y = torch.arange(64) % 10

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(net(x), y).backward()
            opt.step()
        return step, 64
    if workload == "vae784_train":
        vae = models.VAE(784, 3)
        opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
        x = torch.rand(128, 784)

        def step():
            opt.zero_grad(set_to_none=True)
            vae.loss(x, torch.randn(128, 3)).backward()
            opt.step()
        return step, 128
    if workload == "ivusnet_train":
        net = models.ivus_net()
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        x, t = torch.rand(32, 1, 64, 64), torch.rand(32, 1, 64, 64)

        def step():
            opt.zero_grad(set_to_none=True)
            F.mse_loss(net(x), t).backward()
            opt.step()
        return step, 32
    if workload == "latent_grad":
        vae, net = models.VAE(4096, 3), models.ivus_net()
        net.eval()
        for p in list(vae.parameters()) + list(net.parameters()):
            p.requires_grad_(False)
        z0, t = torch.randn(64, 3), torch.rand(64, 1, 64, 64)

        def step():
            z = z0.clone().requires_grad_(True)
            F.mse_loss(net(torch.sigmoid(vae.decoder(z)).reshape(64, 1, 64, 64)), t).backward()
            assert z.grad.shape == (64, 3)
        return step, 64
    if workload == "alphagan_train":
        gan = models.alpha_gan(128)
        encoder, generator = gan["encoder"], gan["generator"]
        encoder.train()
        generator.train()
        opt = torch.optim.Adam(list(encoder.parameters()) + list(generator.parameters()), lr=1e-3)
        x = torch.rand(16, 3, 32, 32) * 2 - 1

        def step():
            opt.zero_grad(set_to_none=True)
            F.mse_loss(generator(encoder(x)), x).backward()
            opt.step()
        return step, 16
    raise SystemExit(f"unknown workload {workload}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    step, batch = make_step(args.workload)
    for _ in range(3):
        step()
    def cpu_seconds():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    count, start, cpu_start = 0, time.perf_counter(), cpu_seconds()
    while True:
        step()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= args.seconds and count >= 5:
            break
    cpu = cpu_seconds() - cpu_start
    print(json.dumps({"workload": args.workload, "samples_per_s": count * batch / elapsed,
                      "samples_per_cpu_s": count * batch / cpu,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
