import CTensorKernels
import Foundation

/// Convolution by shifted views, without im2col.
///
/// A chunk of `batch` samples is stored channel-major and zero-padded: channel c of sample
/// b is the Hp×Wp plane that starts at `c·columns + b·Hp·Wp`, with `columns = batch·Hp·Wp`.
/// Read as a matrix of `channels` rows and `columns` entries per row, and shifted by
/// i·Wp + j, that buffer *is* the im2col block of kernel tap (i, j), evaluated at every
/// padded position (positions whose window runs off the plane are junk: the caller drops
/// them, or zeroes them where they would enter a sum). A stride-1 convolution is then kh·kw
/// matrix products
///
///     Y (C_out × columns) += W_tap (C_out × C_in) · X_shifted (C_in × columns),
///
/// and its weight gradient kh·kw products dW_tap += dY · X_shiftedᵀ, with no im2col copy.
///
/// With few channels those products are thin (inner dimension C_in), so the layout can
/// also *unfold* each kernel row: channel c then takes kw rows, row (c, j) holding the
/// padded planes shifted by j. One product per kernel row i, with inner dimension C_in·kw,
/// replaces kw products: a kw-fold copy of a small input buys well-shaped products.
///
/// The columns are split over the engine's threads; each thread walks its share in blocks
/// small enough for the block of Y to stay in cache across the products.
struct ShiftedLayout {
    /// Planes per sample, samples in the chunk, and the unpadded plane size.
    let channels, batch, height, width: Int
    /// Zeros above and below (`padTop`), left and right (`padLeft`) of every plane.
    let padTop, padLeft: Int
    /// Kernel size.
    let kernelHeight, kernelWidth: Int
    /// Rows per channel: 1, or `kernelWidth` when kernel rows are unfolded.
    let unfold: Int

    init(channels: Int, batch: Int, height: Int, width: Int, padTop: Int, padLeft: Int,
         kernelHeight: Int, kernelWidth: Int) {
        self.channels = channels; self.batch = batch; self.height = height; self.width = width
        self.padTop = padTop; self.padLeft = padLeft
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        // Unfold inputs of at most 8 channels for BLAS. Measured (engine-bench, 2 threads):
        // LeNet's 1- and 6-channel convolutions gain 10–15 %, while unfolding the IVUS net's
        // 16-channel layers as well cost it about 10 % (the copy outweighs the better shape).
        // The direct tap kernels need no unfolding: their cost does not depend on the shape.
        unfold = kernelWidth > 1 && channels <= 8 && !usesTapKernels ? kernelWidth : 1
    }

    var paddedHeight: Int { height + 2 * padTop }
    var paddedWidth: Int { width + 2 * padLeft }
    var plane: Int { paddedHeight * paddedWidth }
    /// Entries per row: every padded position of every sample.
    var columns: Int { batch * plane }
    /// Rows and columns of the (stride-1) output that are not junk.
    var outputHeight: Int { paddedHeight - kernelHeight + 1 }
    var outputWidth: Int { paddedWidth - kernelWidth + 1 }
    /// Inner dimension of each product (rows of the buffer): channels · unfold.
    var depth: Int { channels * unfold }
    /// Products per convolution: one per group of `unfold` neighbouring taps of a kernel row.
    var groups: Int { kernelHeight * (kernelWidth / unfold) }
    /// Floats of a padded buffer: its rows plus slack for the last product's overhang.
    var bufferCount: Int { depth * columns + (kernelHeight - 1) * paddedWidth + kernelWidth }

    /// Whether output rows of `width` values run well row by row on the tap kernels: their
    /// 8-column tiles then cover no more columns than a padded row. Otherwise (a width of
    /// 17 covers 24 columns in a row of 18) whole padded planes run through a product
    /// buffer, and weight gradients through the placed output gradient.
    func suitsRowWiseProducts(width: Int) -> Bool { (width + 7) / 8 * 8 <= paddedWidth }

    /// Offsets of all products' views (``groupOffset(_:)`` for every product).
    var groupOffsets: [Int] { (0..<groups).map(groupOffset) }

    /// Kernel row and first kernel column of product `g`.
    @inline(__always)
    func groupTap(_ g: Int) -> (row: Int, column: Int) {
        let perRow = kernelWidth / unfold
        return (g / perRow, (g % perRow) * unfold)
    }

    /// Offset of product `g`'s view in the padded layout.
    @inline(__always)
    func groupOffset(_ g: Int) -> Int {
        let (i, j) = groupTap(g)
        return i * paddedWidth + j
    }

    /// Kernel matrices for the products: a [groups, rows, depth] array whose entry
    /// (g, r, c·unfold + u) is `weight(r, c, i, j)` for tap (i, j) = product g's row and
    /// first column + u.
    func groupedWeights(rows: Int, _ weight: (Int, Int, Int, Int) -> Float) -> [Float] {
        var out = uninitializedFloats(groups * rows * depth)
        for g in 0..<groups {
            let (i, j0) = groupTap(g)
            for r in 0..<rows {
                for c in 0..<channels {
                    for u in 0..<unfold {
                        out[(g * rows + r) * depth + c * unfold + u] = weight(r, c, i, j0 + u)
                    }
                }
            }
        }
        return out
    }

    /// ``groupedWeights(rows:_:)`` with everything the products need, made once per
    /// convolution: the kernel matrices, their tap-kernel packing and the views' offsets.
    func tapWeights(rows: Int, _ weight: (Int, Int, Int, Int) -> Float) -> TapWeights {
        TapWeights(grouped: groupedWeights(rows: rows, weight), rows: rows, depth: depth, groups: groups,
                   offsets: groupOffsets)
    }

    /// Calls `body(r, c, i, j, value)` for every entry of a [groups, rows, depth] array
    /// laid out like ``groupedWeights(rows:_:)``'s result (the inverse mapping).
    func forEachGroupedEntry(_ grouped: [Float], rows: Int, _ body: (Int, Int, Int, Int, Float) -> Void) {
        for g in 0..<groups {
            let (i, j0) = groupTap(g)
            for r in 0..<rows {
                for c in 0..<channels {
                    for u in 0..<unfold {
                        body(r, c, i, j0 + u, grouped[(g * rows + r) * depth + c * unfold + u])
                    }
                }
            }
        }
    }

    /// Writes `batch` NCHW samples of `channels`×`height`×`width` values into `buffer`, in
    /// this layout's plane geometry with their top-left corner at (`top`, `left`), channel c
    /// on row c·`rowSpacing`; the rest of those rows is set to zero. With `rowSpacing` 1
    /// this is the layout of a product or an output gradient (`rows × columns`).
    func place(
        _ x: UnsafePointer<Float>, channels c: Int, height h: Int, width w: Int, top: Int, left: Int,
        rowSpacing: Int, into buffer: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let wp = paddedWidth, hp = paddedHeight, plane = self.plane, columns = self.columns, batch = self.batch
        parallelRanges(c, costPerItem: columns, threads: threads) { rows in
            for ch in rows {
                for b in 0..<batch {
                    let dst = buffer + ch * rowSpacing * columns + b * plane
                    let src = x + (b * c + ch) * h * w
                    dst.update(repeating: 0, count: top * wp)
                    let right = wp - left - w
                    for r in 0..<h {
                        let d = dst + (top + r) * wp
                        for j in 0..<left { d[j] = 0 }
                        if w >= 32 {
                            (d + left).update(from: src + r * w, count: w)  // memcpy
                        } else {
                            copyShortRun(d + left, src + r * w, count: w)
                        }
                        for j in 0..<right { d[left + w + j] = 0 }
                    }
                    (dst + (top + h) * wp).update(repeating: 0, count: (hp - top - h) * wp)
                }
            }
        }
    }

    /// Writes samples as the padded input of the products: ``place`` on rows c·unfold,
    /// then ``completeUnfolding(_:threads:)``.
    func placeInput(_ x: UnsafePointer<Float>, into buffer: UnsafeMutablePointer<Float>, threads: Int) {
        place(x, channels: channels, height: height, width: width, top: padTop, left: padLeft,
              rowSpacing: unfold, into: buffer, threads: threads)
        completeUnfolding(buffer, threads: threads)
    }

    /// Given rows c·unfold (the padded planes of channel c), fills rows c·unfold + u with
    /// the same planes shifted by u, and zeroes the slack after the last row.
    func completeUnfolding(_ buffer: UnsafeMutablePointer<Float>, threads: Int) {
        let columns = self.columns, unfold = self.unfold
        if unfold > 1 {
            parallelRanges(channels, costPerItem: columns * (unfold - 1), threads: threads) { rows in
                for ch in rows {
                    let first = buffer + ch * unfold * columns
                    for u in 1..<unfold {
                        let row = first + u * columns
                        row.update(from: first + u, count: columns - u)
                        (row + columns - u).update(repeating: 0, count: u)
                    }
                }
            }
        }
        (buffer + depth * columns).update(repeating: 0, count: bufferCount - depth * columns)
    }

    /// Reads the top-left `height`×`width` corner of every plane of a [rows, columns]
    /// product back into NCHW `y` ([batch, rows, height, width]), adding `bias[row]` if given.
    func extract(
        _ product: UnsafePointer<Float>, rows: Int, height h: Int, width w: Int,
        bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let wp = paddedWidth, plane = self.plane, columns = self.columns, batch = self.batch
        parallelRanges(batch * rows, costPerItem: h * w, threads: threads) { items in
            for item in items {
                let b = item / rows, ch = item % rows
                let src = product + ch * columns + b * plane
                let dst = y + item * h * w
                if let bias {
                    let v = bias[ch]
                    for r in 0..<h {
                        let s = src + r * wp, d = dst + r * w
                        for j in 0..<w { d[j] = s[j] + v }
                    }
                } else if w >= 32 {
                    for r in 0..<h { (dst + r * w).update(from: src + r * wp, count: w) }  // memcpy
                } else {
                    for r in 0..<h { copyShortRun(dst + r * w, src + r * wp, count: w) }
                }
            }
        }
    }
}

/// The kernel matrices of a stride-1 convolution's products, prepared once for all its chunks
/// (every chunk's layout has the same plane geometry, so the same view offsets).
struct TapWeights {
    /// [groups, rows, depth], as ``ShiftedLayout/groupedWeights(rows:_:)`` lays them out (the BLAS path).
    let grouped: [Float]
    /// The same matrices packed by `ck_pack_tap_weights`; empty when the tap kernels are not in use.
    let packed: [Float]
    /// Rows (output channels of the products) and depth (their inner dimension).
    let rows, depth: Int
    /// ``ShiftedLayout/groupOffsets`` of the layout the matrices were made for.
    let offsets: [Int]

    init(grouped: [Float], rows: Int, depth: Int, groups: Int, offsets: [Int]) {
        self.grouped = grouped; self.rows = rows; self.depth = depth; self.offsets = offsets
        if usesTapKernels {
            var packed = uninitializedFloats(ck_tap_weights_count(groups, rows, depth))
            ck_pack_tap_weights(grouped, groups, rows, depth, &packed)
            self.packed = packed
        } else {
            packed = []
        }
    }

    /// Whether the products run on the tap kernels (decided when the weights were made).
    var onTapKernels: Bool { !packed.isEmpty }
}

/// Whether stride-1 convolutions run on the direct tap kernels (`ck_tap_products`,
/// `ck_tap_weight_gradients`: AVX2 + FMA, reading the shifted views in place) rather than on
/// one BLAS product per tap. Follows the SIMD level (``SIMDLevel``), so tests can compare both.
var usesTapKernels: Bool { ck_tap_kernels_fast() != 0 }

/// How stride-1 and transposed convolutions are computed at the current SIMD level:
/// `"tap kernels (AVX2 + FMA)"` or `"BLAS, one product per tap"` (for benchmark reports).
public var convolutionMethod: String { usesTapKernels ? "tap kernels (AVX2 + FMA)" : "BLAS, one product per tap" }

/// Splits `columns` over `threads` threads (when `costPerColumn · columns` is worth it)
/// and calls `body(part, block)` for blocks of at most `blockColumns` columns, in order
/// within each part. Parts run concurrently; `part` < the returned part count.
@discardableResult
func forEachColumnBlock(
    _ columns: Int, blockColumns: Int, costPerColumn: Int, threads: Int, _ body: (Int, Range<Int>) -> Void
) -> Int {
    let parts = threads > 1 && columns * costPerColumn >= parallelProductThreshold && columns >= 64 * threads
        ? threads : 1
    forEachBlock(of: columns, parts: parts, blockSize: blockColumns, body)
    return parts
}

/// Columns per block such that a block of `rows` output rows takes about 128 KiB.
@inline(__always)
func blockColumns(rows: Int) -> Int {
    Swift.min(8192, Swift.max(256, (32_768 / Swift.max(1, rows) + 15) / 16 * 16))
}

/// product (rows × columns) = Σ_g weights[g] · view_g(input), plus its old value when
/// `accumulate`: the forward pass of a stride-1 convolution.
func accumulateTapProducts(
    _ l: ShiftedLayout, input: UnsafePointer<Float>, weights: TapWeights,
    into product: UnsafeMutablePointer<Float>, accumulate: Bool, threads: Int
) {
    let depth = l.depth, columns = l.columns, groups = l.groups, rows = weights.rows
    if weights.onTapKernels {
        weights.packed.withUnsafeBufferPointer { packed in
            weights.offsets.withUnsafeBufferPointer { op in
                _ = forEachColumnBlock(columns, blockColumns: blockColumns(rows: rows),
                                       costPerColumn: rows * depth * groups, threads: threads) { _, block in
                    ck_tap_products(input, columns, op.baseAddress!, groups, packed.baseAddress!, rows, depth, nil,
                                    product + block.lowerBound, columns, block.lowerBound, block.upperBound,
                                    accumulate ? 1 : 0)
                }
            }
        }
        return
    }
    weights.grouped.withUnsafeBufferPointer { wp in
        _ = forEachColumnBlock(columns, blockColumns: blockColumns(rows: rows), costPerColumn: rows * depth * groups,
                               threads: threads) { _, block in
            for g in 0..<groups {
                serialSgemm(transposeA: false, transposeB: false, m: rows, n: block.count, k: depth,
                            a: wp.baseAddress! + g * rows * depth, lda: depth,
                            b: input + l.groupOffset(g) + block.lowerBound, ldb: columns,
                            beta: g == 0 && !accumulate ? 0 : 1, c: product + block.lowerBound, ldc: columns)
            }
        }
    }
}

/// The forward pass of a stride-1 convolution written straight into NCHW images: for every
/// sample b of the chunk, output channel r < `weights.rows` and output position (i, j) <
/// (`height`, `width`), y[b, r, i, j] = bias[r] + Σ_g Σ_d weights[g, r, d] · view_g(input)[d,
/// b·plane + i·Wp + j]. One call of the tap kernel per output row, so no product buffer is
/// filled and copied out (``ShiftedLayout/extract(_:rows:height:width:bias:into:threads:)``).
/// Tap kernels only (``TapWeights/onTapKernels``).
func tapProductsIntoImages(
    _ l: ShiftedLayout, input: UnsafePointer<Float>, weights: TapWeights,
    height ho: Int, width wo: Int, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, threads: Int
) {
    let depth = l.depth, columns = l.columns, groups = l.groups, plane = l.plane, wp = l.paddedWidth
    let rows = weights.rows
    weights.packed.withUnsafeBufferPointer { packed in
        weights.offsets.withUnsafeBufferPointer { op in
            parallelRanges(l.batch * ho, costPerItem: rows * depth * groups * wo, threads: threads) { items in
                for item in items {
                    let b = item / ho, i = item % ho, c0 = b * plane + i * wp
                    ck_tap_products(input, columns, op.baseAddress!, groups, packed.baseAddress!, rows, depth, bias,
                                    y + b * rows * ho * wo + i * wo, ho * wo, c0, c0 + wo, 0)
                }
            }
        }
    }
}

/// Adds Σ over columns of gradient · view_g(input)ᵀ for every product g to `sums`, a
/// [groups, rows, depth] array: the weight gradient of a stride-1 convolution whose output
/// gradient `gradient` (rows × columns) is zero at every junk position.
func accumulateTapWeightGradients(
    _ l: ShiftedLayout, input: UnsafePointer<Float>, gradient: UnsafePointer<Float>, rows: Int,
    into sums: UnsafeMutablePointer<Float>, threads: Int
) {
    let depth = l.depth, columns = l.columns, groups = l.groups, size = groups * rows * depth
    let offsets = usesTapKernels ? l.groupOffsets : []
    // Parts after the first accumulate into partial sums of their own.
    var partial = [Float](repeating: 0, count: Swift.max(0, threads - 1) * size)
    let parts = partial.withUnsafeMutableBufferPointer { pp in
        let base = pp.baseAddress
        return forEachColumnBlock(columns, blockColumns: blockColumns(rows: Swift.max(rows, depth)),
                                  costPerColumn: rows * depth * groups, threads: threads) { part, block in
            let acc = part == 0 ? sums : base! + (part - 1) * size
            if usesTapKernels {
                offsets.withUnsafeBufferPointer { op in
                    ck_tap_weight_gradients(input, columns, op.baseAddress!, groups, gradient, columns, rows, depth,
                                            acc, block.lowerBound, block.upperBound)
                }
                return
            }
            for g in 0..<groups {
                serialSgemm(transposeA: false, transposeB: true, m: rows, n: depth, k: block.count,
                            a: gradient + block.lowerBound, lda: columns,
                            b: input + l.groupOffset(g) + block.lowerBound, ldb: columns,
                            beta: 1, c: acc + g * rows * depth, ldc: depth)
            }
        }
    }
    partial.withUnsafeBufferPointer { pp in
        for part in 1..<Swift.max(parts, 1) { addVectors(sums, pp.baseAddress! + (part - 1) * size, count: size) }
    }
}

/// How a convolution's batch is cut into chunks and spread over the engine's threads.
///
/// Chunks are small (their padded buffer about one L2 cache, ``convolutionChunkFloats``) so that the buffer, the product and
/// the output stay in cache between the copy in, the products and the copy out. With at
/// least as many samples as threads, each thread takes its own share of the samples and
/// runs its chunks alone (one hand-off per convolution, each core on its own cache);
/// otherwise chunks run in turn and each product is split over the threads.
struct SampleChunks {
    /// Samples in the batch, and at most per chunk.
    let batch, chunk: Int
    /// Threads that take separate samples (1: chunks in turn, products split).
    let workers: Int

    /// `floatsPerSample`: the largest per-sample buffer a chunk needs.
    init(batch n: Int, floatsPerSample: Int) {
        batch = n
        chunk = Swift.max(1, Swift.min(n, convolutionChunkFloats / Swift.max(1, floatsPerSample)))
        let threads = BLASThreads.current
        workers = threads > 1 && n >= threads ? threads : 1
    }

    /// Threads each product uses inside a chunk.
    var threadsPerChunk: Int { workers > 1 ? 1 : BLASThreads.current }

    /// Calls `body(worker, samples)` for every chunk; each worker's chunks run in order,
    /// workers concurrently. `worker` < ``workers``.
    func forEach(_ body: (Int, Range<Int>) -> Void) {
        forEachBlock(of: batch, parts: workers, blockSize: chunk, body)
    }
}

/// Scratch memory for every worker of a ``SampleChunks``: `count` floats each.
struct WorkerScratch {
    private var storage: [Float]
    private let count: Int
    init(workers: Int, count: Int) {
        self.count = count
        storage = uninitializedFloats(workers * count)
    }
    /// Runs `body` with a function that gives worker w's floats.
    mutating func withBuffers<R>(_ body: ((Int) -> UnsafeMutablePointer<Float>) -> R) -> R {
        let count = self.count
        return storage.withUnsafeMutableBufferPointer { all in
            let base = all.baseAddress!
            return body { worker in base + worker * count }
        }
    }
}

/// Σ over workers w of `parts[w·stride + range]`: the reduction of per-worker
/// weight-gradient sums laid out `stride` floats apart.
func sumOfWorkerParts(_ parts: [Float], workers: Int, stride: Int, range: Range<Int>) -> [Float] {
    var total = Array(parts[range])
    total.withUnsafeMutableBufferPointer { tp in
        parts.withUnsafeBufferPointer { pp in
            for worker in 1..<Swift.max(workers, 1) {
                addVectors(tp.baseAddress!, pp.baseAddress! + worker * stride + range.lowerBound, count: range.count)
            }
        }
    }
    return total
}

// MARK: Stride-1 convolution

/// y = W ⋆ x (+ bias) for stride 1 and `padding` p on all sides: x [N, C_in, H, W],
/// W [C_out, C_in, kh, kw] → [N, C_out, H + 2p − kh + 1, W + 2p − kw + 1].
func shiftedConvolution(_ x: Tensor, weight: Tensor, bias: Tensor?, padding p: Int) -> [Float] {
    let n = x.shape[0], cIn = x.shape[1], h = x.shape[2], w = x.shape[3]
    let cOut = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3]
    let ho = h + 2 * p - kh + 1, wo = w + 2 * p - kw + 1
    func layout(_ nb: Int) -> ShiftedLayout {
        ShiftedLayout(channels: cIn, batch: nb, height: h, width: w, padTop: p, padLeft: p,
                      kernelHeight: kh, kernelWidth: kw)
    }
    let one = layout(1)
    let chunks = SampleChunks(batch: n, floatsPerSample: Swift.max(one.depth, cOut) * one.plane)
    let weights = weight.scalars.withUnsafeBufferPointer { wp in
        one.tapWeights(rows: cOut) { co, ci, i, j in wp[((co * cIn + ci) * kh + i) * kw + j] }
    }
    let big = layout(chunks.chunk), inner = chunks.threadsPerChunk
    let bufferSize = big.bufferCount, productSize = cOut * big.columns
    var scratch = WorkerScratch(workers: chunks.workers, count: bufferSize + productSize)
    var y = uninitializedFloats(n * cOut * ho * wo)
    let biasValues = bias?.scalars ?? []
    x.scalars.withUnsafeBufferPointer { xp in
        biasValues.withUnsafeBufferPointer { bp in
            y.withUnsafeMutableBufferPointer { yp in
                scratch.withBuffers { bufferOf in
                    chunks.forEach { worker, samples in
                        let l = layout(samples.count)
                        let buffer = bufferOf(worker), product = buffer + bufferSize
                        l.placeInput(xp.baseAddress! + samples.lowerBound * cIn * h * w, into: buffer, threads: inner)
                        if weights.onTapKernels && l.suitsRowWiseProducts(width: wo) {
                            tapProductsIntoImages(l, input: buffer, weights: weights, height: ho, width: wo,
                                                  bias: bias == nil ? nil : bp.baseAddress,
                                                  into: yp.baseAddress! + samples.lowerBound * cOut * ho * wo,
                                                  threads: inner)
                            return
                        }
                        accumulateTapProducts(l, input: buffer, weights: weights, into: product, accumulate: false,
                                              threads: inner)
                        l.extract(product, rows: cOut, height: ho, width: wo, bias: bias == nil ? nil : bp.baseAddress,
                                  into: yp.baseAddress! + samples.lowerBound * cOut * ho * wo, threads: inner)
                    }
                }
            }
        }
    }
    return y
}

/// ∂L/∂x and ∂L/∂W of ``shiftedConvolution(_:weight:bias:padding:)`` for the output
/// gradient `dy` (each only when asked for). ∂L/∂x is the convolution of dy, padded by
/// k − 1 − p, with the flipped, channel-transposed kernel; it needs p ≤ k − 1.
func shiftedConvolutionGradients(
    _ dy: Tensor, input x: Tensor, weight: Tensor, padding p: Int, needInput: Bool, needWeight: Bool
) -> (input: [Float], weight: [Float]) {
    let n = x.shape[0], cIn = x.shape[1], h = x.shape[2], w = x.shape[3]
    let cOut = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3]
    let ho = dy.shape[2], wo = dy.shape[3]
    precondition(!needInput || (p <= kh - 1 && p <= kw - 1), "shiftedConvolutionGradients: padding \(p) too large")
    func inputLayout(_ nb: Int) -> ShiftedLayout {  // x, as in the forward pass
        ShiftedLayout(channels: cIn, batch: nb, height: h, width: w, padTop: p, padLeft: p,
                      kernelHeight: kh, kernelWidth: kw)
    }
    func gradientLayout(_ nb: Int) -> ShiftedLayout {  // dy, padded for the flipped kernel
        ShiftedLayout(channels: cOut, batch: nb, height: ho, width: wo, padTop: kh - 1 - p, padLeft: kw - 1 - p,
                      kernelHeight: kh, kernelWidth: kw)
    }
    let xOne = inputLayout(1), dyOne = gradientLayout(1)
    let perSample = Swift.max(
        needWeight ? (xOne.depth + cOut) * xOne.plane : 0,
        needInput ? (dyOne.depth + cIn) * dyOne.plane : 0)
    let chunks = SampleChunks(batch: n, floatsPerSample: perSample)
    let inner = chunks.threadsPerChunk
    let flipped = needInput
        ? weight.scalars.withUnsafeBufferPointer { wp in
            dyOne.tapWeights(rows: cIn) { ci, co, i, j in
                wp[((co * cIn + ci) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)]
            }
        }
        : nil
    let sumsSize = xOne.groups * cOut * xOne.depth
    let scratchSize = Swift.max(
        needWeight ? inputLayout(chunks.chunk).bufferCount + cOut * inputLayout(chunks.chunk).columns : 0,
        needInput ? gradientLayout(chunks.chunk).bufferCount + cIn * gradientLayout(chunks.chunk).columns : 0)
    var scratch = WorkerScratch(workers: chunks.workers, count: scratchSize)
    var sums = [Float](repeating: 0, count: needWeight ? chunks.workers * sumsSize : 0)
    var dx = uninitializedFloats(needInput ? n * cIn * h * w : 0)
    let weightOffsets = xOne.groupOffsets  // the same for every chunk's layout
    x.scalars.withUnsafeBufferPointer { xp in
        dy.scalars.withUnsafeBufferPointer { gp in
            dx.withUnsafeMutableBufferPointer { dxp in
                sums.withUnsafeMutableBufferPointer { sp in
                    scratch.withBuffers { bufferOf in
                        chunks.forEach { worker, samples in
                            let n0 = samples.lowerBound, nb = samples.count
                            let buffer = bufferOf(worker)
                            if needWeight {  // dW_g += dY · view_g(X)ᵀ, dY placed at the output positions
                                let l = inputLayout(nb)
                                let placed = buffer + l.bufferCount
                                l.placeInput(xp.baseAddress! + n0 * cIn * h * w, into: buffer, threads: inner)
                                if usesTapKernels && inner == 1 && l.suitsRowWiseProducts(width: wo) {
                                    // dY read where it lies (NCHW), over the output rows only.
                                    for b in 0..<nb {
                                        ck_tap_weight_gradients_in_rows(
                                            buffer + b * l.plane, l.columns, l.paddedWidth, weightOffsets, l.groups,
                                            gp.baseAddress! + (n0 + b) * cOut * ho * wo, ho * wo, wo, ho, wo,
                                            cOut, l.depth, sp.baseAddress! + worker * sumsSize)
                                    }
                                } else {
                                    l.place(gp.baseAddress! + n0 * cOut * ho * wo, channels: cOut, height: ho,
                                            width: wo, top: 0, left: 0, rowSpacing: 1, into: placed, threads: inner)
                                    accumulateTapWeightGradients(l, input: buffer, gradient: placed, rows: cOut,
                                                                 into: sp.baseAddress! + worker * sumsSize,
                                                                 threads: inner)
                                }
                            }
                            if let flipped {  // dX = flipped-kernel convolution of dY
                                let l = gradientLayout(nb)
                                let product = buffer + l.bufferCount
                                l.placeInput(gp.baseAddress! + n0 * cOut * ho * wo, into: buffer, threads: inner)
                                if flipped.onTapKernels && l.suitsRowWiseProducts(width: w) {
                                    tapProductsIntoImages(l, input: buffer, weights: flipped, height: h, width: w,
                                                          bias: nil, into: dxp.baseAddress! + n0 * cIn * h * w,
                                                          threads: inner)
                                    return
                                }
                                accumulateTapProducts(l, input: buffer, weights: flipped, into: product,
                                                      accumulate: false, threads: inner)
                                l.extract(product, rows: cIn, height: h, width: w, bias: nil,
                                          into: dxp.baseAddress! + n0 * cIn * h * w, threads: inner)
                            }
                        }
                    }
                }
            }
        }
    }
    var dw = [Float](repeating: 0, count: needWeight ? cOut * cIn * kh * kw : 0)
    if needWeight {
        let total = sumOfWorkerParts(sums, workers: chunks.workers, stride: sumsSize, range: 0..<sumsSize)
        xOne.forEachGroupedEntry(total, rows: cOut) { co, ci, i, j, v in dw[((co * cIn + ci) * kh + i) * kw + j] = v }
    }
    return (dx, dw)
}

/// Floats in a convolution chunk's padded buffer: the size of one core's L2 cache (read
/// from the machine: 1 MiB on Intel Cooper Lake, 512 KiB on AMD Zen 2–4), within
/// 256 KiB…2 MiB; 1 MiB when the machine does not say.
public let convolutionChunkFloats: Int = {
    let bytes = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
    guard bytes > 0 else { return 1 << 18 }
    return Swift.min(1 << 19, Swift.max(1 << 16, bytes / 4))
}()
