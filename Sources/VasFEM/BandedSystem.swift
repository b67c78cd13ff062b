import COpenBLAS

/// A square matrix stored in LAPACK's general band format, ready for `dgbsv`
/// (room for the kl extra superdiagonals that partial pivoting fills in).
struct BandMatrix {
    /// The order n.
    let order: Int
    /// The number of sub- and super-diagonals (the structure is symmetric).
    let bandwidth: Int
    /// Leading dimension 2·kl + ku + 1.
    let leadingDimension: Int
    /// Column-major band storage: A(i, j) lives at (kl + ku + i − j) + j·ldab.
    var storage: [Double]
    /// Row interchanges of the LU factors (after ``factor()``).
    var pivots: [Int32] = []

    init(order: Int, bandwidth: Int) {
        self.order = order
        self.bandwidth = bandwidth
        leadingDimension = 3 * bandwidth + 1
        storage = [Double](repeating: 0, count: leadingDimension * max(order, 1))
    }

    /// The storage offset of A(i, j); |i − j| must not exceed the bandwidth.
    @inline(__always) func offset(_ i: Int, _ j: Int) -> Int { 2 * bandwidth + i - j + j * leadingDimension }

    /// A(i, j), zero outside the band.
    func entry(_ i: Int, _ j: Int) -> Double {
        abs(i - j) > bandwidth ? 0 : storage[offset(i, j)]
    }

    /// Replaces row i by the i-th row of the identity (a prescribed unknown).
    mutating func setIdentityRow(_ i: Int) {
        for j in max(0, i - bandwidth)...min(order - 1, i + bandwidth) { storage[offset(i, j)] = 0 }
        storage[offset(i, i)] = 1
    }

    /// Sets every entry to zero.
    mutating func zero() {
        storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Factors A = P L U in place by banded LU with partial pivoting (LAPACKE_dgbtrf).
    /// Returns LAPACK's info (0 on success, i > 0 when U(i, i) is exactly zero).
    mutating func factor() -> Int32 {
        pivots = [Int32](repeating: 0, count: order)
        let n = Int32(order), k = Int32(bandwidth), ld = Int32(leadingDimension)
        return storage.withUnsafeMutableBufferPointer { ab in
            LAPACKE_dgbtrf(LAPACK_COL_MAJOR, n, n, k, k, ab.baseAddress, ld, &pivots)
        }
    }

    /// Solves A x = b in place with the factors from ``factor()`` (LAPACKE_dgbtrs).
    func solveFactored(_ b: inout [Double]) -> Int32 {
        let n = Int32(order), k = Int32(bandwidth), ld = Int32(leadingDimension)
        return storage.withUnsafeBufferPointer { ab in
            b.withUnsafeMutableBufferPointer { rhs in
                LAPACKE_dgbtrs(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "N")), n, k, k, 1, ab.baseAddress, ld, pivots, rhs.baseAddress, n)
            }
        }
    }

    /// Solves A x = b in place (factor, then solve); A is overwritten by its factors.
    mutating func solve(_ b: inout [Double]) -> Int32 {
        let info = factor()
        return info != 0 ? info : solveFactored(&b)
    }
}

/// Reverse Cuthill–McKee ordering of a graph given by adjacency lists: returns
/// `order` such that `order[k]` is the vertex numbered k. The component of `start`
/// (when given) starts there; every other component from a pseudo-peripheral vertex.
func reverseCuthillMcKee(_ adjacency: [[Int]], start requestedStart: Int? = nil) -> [Int] {
    let n = adjacency.count
    var visited = [Bool](repeating: false, count: n)
    var order: [Int] = []
    order.reserveCapacity(n)
    func bfsLevels(from start: Int) -> (last: Int, depth: Int) {
        var level = [Int](repeating: -1, count: n)
        var queue = [start]
        level[start] = 0
        var head = 0
        var last = start
        while head < queue.count {
            let v = queue[head]; head += 1
            if level[v] > level[last] || (level[v] == level[last] && adjacency[v].count < adjacency[last].count) { last = v }
            for w in adjacency[v] where level[w] < 0 { level[w] = level[v] + 1; queue.append(w) }
        }
        return (last, level[last])
    }
    let seeds = (requestedStart.map { [$0] } ?? []) + Array(0..<n)
    for seed in seeds where !visited[seed] {
        // Pseudo-peripheral start: repeat BFS from the farthest vertex while the depth grows.
        var start = seed
        var depth = -1
        for _ in 0..<5 where seed != requestedStart {
            let (far, d) = bfsLevels(from: start)
            if d <= depth { break }
            depth = d
            start = far
        }
        var queue = [start]
        visited[start] = true
        var head = 0
        while head < queue.count {
            let v = queue[head]; head += 1
            order.append(v)
            let next = adjacency[v].filter { !visited[$0] }.sorted { adjacency[$0].count < adjacency[$1].count }
            for w in next { visited[w] = true; queue.append(w) }
        }
    }
    return order.reversed()
}
