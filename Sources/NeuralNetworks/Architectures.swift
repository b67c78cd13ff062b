import TensorEngine

// The networks of the seed paper (Mo et al., "Efficient deep representation learning by
// adaptive latent space sampling"), ready to train. Where the paper's tables are
// incomplete or inconsistent, the choice made here is stated in the doc comment.

/// The paper's LeNet for 1×28×28 images (MNIST, Fashion-MNIST): Table S7 of the seed
/// paper, the target model F of its MNIST experiment.
///
///     conv1 5×5, 1→20, padding 0   → 20×24×24 → ReLU → max-pool 2 → 20×12×12
///     conv2 5×5, 20→50, padding 0  → 50×8×8   → ReLU → max-pool 2 → 50×4×4
///     flatten 800 → fc1 500 → ReLU → fc2 `classCount` (logits)
///
/// About 2.3 million multiply–adds per image forward, 5.5 times ``makeLeNet5(classCount:seed:)``'s.
/// Parameter names: `conv1/weight`, `conv1/bias`, `conv2/…`, `fc1/…`, `fc2/…`.
public func makeLeNet(classCount: Int = 10, seed: UInt64 = 0) -> Sequential {
    var g = SeededGenerator(seed: seed)
    return Sequential([
        ("conv1", Conv2D(inputChannels: 1, outputChannels: 20, kernelSize: 5, generator: &g)),
        ("relu1", ReLU()),
        ("pool1", MaxPool2D(kernelSize: 2)),
        ("conv2", Conv2D(inputChannels: 20, outputChannels: 50, kernelSize: 5, generator: &g)),
        ("relu2", ReLU()),
        ("pool2", MaxPool2D(kernelSize: 2)),
        ("flatten", Flatten()),
        ("fc1", Dense(inputCount: 800, outputCount: 500, generator: &g)),
        ("relu3", ReLU()),
        ("fc2", Dense(inputCount: 500, outputCount: classCount, initialization: .xavierUniform, generator: &g)),
    ])
}

/// The classic LeNet-5 for 1×28×28 images, with ReLU and max pooling (a lighter target
/// than the paper's ``makeLeNet(classCount:seed:)``, kept for comparison with earlier results):
///
///     conv1 5×5, 1→6, padding 2   → 6×28×28 → ReLU → max-pool 2 → 6×14×14
///     conv2 5×5, 6→16, padding 0  → 16×10×10 → ReLU → max-pool 2 → 16×5×5
///     flatten 400 → fc1 120 → ReLU → fc2 84 → ReLU → fc3 `classCount` (logits)
///
/// Parameter names: `conv1/weight`, `conv1/bias`, `conv2/…`, `fc1/…`, `fc2/…`, `fc3/…`.
public func makeLeNet5(classCount: Int = 10, seed: UInt64 = 0) -> Sequential {
    var g = SeededGenerator(seed: seed)
    return Sequential([
        ("conv1", Conv2D(inputChannels: 1, outputChannels: 6, kernelSize: 5, padding: 2, generator: &g)),
        ("relu1", ReLU()),
        ("pool1", MaxPool2D(kernelSize: 2)),
        ("conv2", Conv2D(inputChannels: 6, outputChannels: 16, kernelSize: 5, generator: &g)),
        ("relu2", ReLU()),
        ("pool2", MaxPool2D(kernelSize: 2)),
        ("flatten", Flatten()),
        ("fc1", Dense(inputCount: 400, outputCount: 120, generator: &g)),
        ("relu3", ReLU()),
        ("fc2", Dense(inputCount: 120, outputCount: 84, generator: &g)),
        ("relu4", ReLU()),
        ("fc3", Dense(inputCount: 84, outputCount: classCount, initialization: .xavierUniform, generator: &g)),
    ])
}

/// VGG-16 with batch normalization for 3×32×32 images (CIFAR-10).
///
/// Features: thirteen 3×3 convolutions (padding 1), each followed by BatchNorm and ReLU,
/// in the standard pattern 64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M,
/// 512, 512, 512, M (M = 2×2 max-pool), leaving 512×1×1. The paper's printed table has
/// inconsistent channel counts; this is the standard VGG-16 configuration. Classifier:
/// 512 → 512 → ReLU → `classCount` (no dropout).
///
/// Parameter names: `features/<i>/…` (i = position in the feature stack, as in PyTorch's
/// `torchvision` layout), `classifier/fc1/…`, `classifier/fc2/…`.
public func makeVGG16(classCount: Int = 10, seed: UInt64 = 0) -> Sequential {
    var g = SeededGenerator(seed: seed)
    let pattern: [Int?] = [64, 64, nil, 128, 128, nil, 256, 256, 256, nil, 512, 512, 512, nil, 512, 512, 512, nil]
    var features: [any Layer] = []
    var channels = 3
    for entry in pattern {
        if let out = entry {
            features.append(Conv2D(inputChannels: channels, outputChannels: out, kernelSize: 3, padding: 1, generator: &g))
            features.append(BatchNorm(channels: out))
            features.append(ReLU())
            channels = out
        } else {
            features.append(MaxPool2D(kernelSize: 2))
        }
    }
    return Sequential([
        ("features", Sequential(features)),
        ("flatten", Flatten()),
        ("classifier", Sequential([
            ("fc1", Dense(inputCount: 512, outputCount: 512, generator: &g)),
            ("relu", ReLU()),
            ("fc2", Dense(inputCount: 512, outputCount: classCount, initialization: .xavierUniform, generator: &g)),
        ])),
    ])
}

/// conv 3×3 (padding 1) → BatchNorm → ReLU, named `conv`, `bn`, `relu`.
func convBlock(_ input: Int, _ output: Int, _ g: inout SeededGenerator) -> Sequential {
    Sequential([
        ("conv", Conv2D(inputChannels: input, outputChannels: output, kernelSize: 3, padding: 1, generator: &g)),
        ("bn", BatchNorm(channels: output)),
        ("relu", ReLU()),
    ])
}

/// The IVUS encoder–decoder (the paper's Table S6 regression network): maps a
/// 1×64×64 vessel-wall mask to a 1×64×64 stress map.
///
/// With `c = baseChannels` (default 16), every "block" is conv 3×3 (padding 1) → BatchNorm → ReLU:
///
///     down1: block 1→c,   block c→c     64×64 → max-pool → 32×32
///     down2: block c→2c,  block 2c→2c   32×32 → max-pool → 16×16
///     down3: block 2c→4c, block 4c→4c   16×16 → max-pool →  8×8
///     bottleneck: block 4c→4c                                8×8
///     up1: ConvTranspose 4×4 stride 2 padding 1, 4c→2c → BN → ReLU → block 2c→2c   16×16
///     up2: ConvTranspose 2c→c → BN → ReLU → block c→c                               32×32
///     up3: ConvTranspose c→c → BN → ReLU → block c→c                                64×64
///     head: conv 3×3 (padding 1) c→1, no activation (regression output)
///
/// The paper's table lists the encoder down to 8×8 and a mirrored decoder; kernel sizes
/// and paddings are chosen here so that every stage halves or doubles the side exactly.
public func makeIVUSNet(baseChannels c: Int = 16, seed: UInt64 = 0) -> Sequential {
    var g = SeededGenerator(seed: seed)
    func up(_ input: Int, _ output: Int) -> Sequential {
        Sequential([
            ("deconv", ConvTranspose2D(inputChannels: input, outputChannels: output, kernelSize: 4, stride: 2,
                                       padding: 1, generator: &g)),
            ("bn", BatchNorm(channels: output)),
            ("relu", ReLU()),
            ("block", convBlock(output, output, &g)),
        ])
    }
    let down1 = Sequential([("block1", convBlock(1, c, &g)), ("block2", convBlock(c, c, &g)), ("pool", MaxPool2D())])
    let down2 = Sequential([("block1", convBlock(c, 2 * c, &g)), ("block2", convBlock(2 * c, 2 * c, &g)), ("pool", MaxPool2D())])
    let down3 = Sequential([("block1", convBlock(2 * c, 4 * c, &g)), ("block2", convBlock(4 * c, 4 * c, &g)), ("pool", MaxPool2D())])
    let bottleneck = convBlock(4 * c, 4 * c, &g)
    let up1 = up(4 * c, 2 * c), up2 = up(2 * c, c), up3 = up(c, c)
    let head = Conv2D(inputChannels: c, outputChannels: 1, kernelSize: 3, padding: 1,
                      initialization: .xavierUniform, generator: &g)
    return Sequential([
        ("down1", down1), ("down2", down2), ("down3", down3), ("bottleneck", bottleneck),
        ("up1", up1), ("up2", up2), ("up3", up3), ("head", head),
    ])
}

/// A residual block conv 3×3 → BN → act → conv 3×3 → BN, added to its input, then act
/// (shape-preserving). Names: `residual/body/{conv1,bn1,act,conv2,bn2}`, `activation`.
public func makeResidualBlock(
    channels: Int, activation: @autoclosure () -> any Layer, generator g: inout SeededGenerator
) -> Sequential {
    let body = Sequential([
        ("conv1", Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: 1, generator: &g)),
        ("bn1", BatchNorm(channels: channels)),
        ("act", activation()),
        ("conv2", Conv2D(inputChannels: channels, outputChannels: channels, kernelSize: 3, padding: 1, generator: &g)),
        ("bn2", BatchNorm(channels: channels)),
    ])
    return Sequential([("residual", Residual(body: body)), ("activation", activation())])
}
