// latent-sampling: run the paper's experiments and benchmarks from the command line.
//
//   latent-sampling experiment   strategies × seeds × rounds on Fashion-MNIST (VAE latent 3, LeNet target)
//   latent-sampling benchmark    active-learning baselines and latent strategies vs random, paired over seeds
//   latent-sampling bench        one SNN sampling step on a pool of 60,000, as JSON lines

import ArgumentParser

@main
struct LatentSamplingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latent-sampling",
        abstract: "Data-efficient deep learning by adaptive sampling in a generative model's latent space.",
        subcommands: [ExperimentCommand.self, BenchmarkCommand.self, BenchCommand.self]
    )
}
