import LatentSampling
import Randomness
import Testing

/// The reference answer: scan every point, squared distances in Double, lowest index on ties.
private func bruteForce(_ points: [Float], dimension: Int, query: ArraySlice<Float>, excluded: Set<Int>) -> Neighbor? {
    var best: (index: Int, squared: Double)?
    for index in 0 ..< points.count / dimension where !excluded.contains(index) {
        var squared = 0.0
        for axis in 0 ..< dimension {
            let difference = Double(query[query.startIndex + axis]) - Double(points[index * dimension + axis])
            squared += difference * difference
        }
        if best == nil || squared < best!.squared { best = (index, squared) }
    }
    return best.map { Neighbor(index: $0.index, distance: Float($0.squared.squareRoot())) }
}

@Suite("k-d tree nearest neighbours")
struct NearestNeighborsTests {
    @Test("agrees with brute force, with and without exclusions", arguments: [1, 2, 3, 8])
    func matchesBruteForce(dimension: Int) throws {
        var random = SeededGenerator(seed: UInt64(dimension))
        let count = 1500
        // Coarse grid values make exact distance ties common, exercising the tie rule.
        let points = (0 ..< count * dimension).map { _ in Float(Int.random(in: -20 ... 20, using: &random)) / 4 }
        let tree = try KDTree(points: points, dimension: dimension)
        #expect(tree.count == count && tree.dimension == dimension)
        let queries = (0 ..< 200 * dimension).map { _ in Float.random(in: -6 ... 6, using: &random) }
        let excluded = Set((0 ..< 300).map { _ in Int.random(in: 0 ..< count, using: &random) })

        for exclusion in [Set<Int>(), excluded] {
            let batch = try tree.nearest(toEach: queries, excluding: exclusion)
            let serial = try tree.nearest(toEach: queries, excluding: exclusion, parallel: false)
            #expect(batch == serial)
            for query in 0 ..< 200 {
                let coordinates = queries[query * dimension ..< (query + 1) * dimension]
                let expected = try #require(bruteForce(points, dimension: dimension, query: coordinates,
                                                      excluded: exclusion))
                #expect(batch[query] == expected)
                #expect(try tree.nearest(to: Array(coordinates), excluding: exclusion) == expected)
            }
        }
        // Queries placed exactly on pool points find those points (or an equal, lower-index duplicate).
        for index in stride(from: 0, to: count, by: 97) {
            let point = Array(points[index * dimension ..< (index + 1) * dimension])
            let found = try tree.nearest(to: point)
            #expect(found.distance == 0)
            #expect(found.index <= index)
            #expect(Array(points[found.index * dimension ..< (found.index + 1) * dimension]) == point)
        }
    }

    @Test("duplicate points: the lowest index wins, then the next once it is excluded")
    func duplicates() throws {
        // Points 2, 5 and 7 coincide; everything else is far away.
        var points = [Float](repeating: 100, count: 40 * 2)
        for index in 0 ..< 40 { points[index * 2] = Float(index) * 10 }
        for index in [7, 2, 5] { points[index * 2] = 1; points[index * 2 + 1] = 1 }
        let tree = try KDTree(points: points, dimension: 2)
        #expect(try tree.nearest(to: [1, 1.5]) == Neighbor(index: 2, distance: 0.5))
        #expect(try tree.nearest(to: [1, 1.5], excluding: [2]) == Neighbor(index: 5, distance: 0.5))
        #expect(try tree.nearest(to: [1, 1.5], excluding: [2, 5]) == Neighbor(index: 7, distance: 0.5))
        let distinct = try tree.nearest(toEach: [1, 1, 1, 1, 1, 1], distinct: true)
        #expect(distinct.map(\.index) == [2, 5, 7])
    }

    @Test("all-equal pools of many points build and answer with index 0")
    func allEqual() throws {
        let tree = try KDTree(points: [Float](repeating: 3, count: 1000 * 3), dimension: 3)
        #expect(try tree.nearest(to: [3, 3, 4]) == Neighbor(index: 0, distance: 1))
        #expect(try tree.nearest(to: [0, 0, 0], excluding: [0, 1]).index == 2)
    }

    @Test("distinct batches match greedy brute force")
    func distinctMatchesGreedy() throws {
        var random = SeededGenerator(seed: 99)
        let points = (0 ..< 300 * 3).map { _ in Float.random(in: 0 ... 1, using: &random) }
        let queries = (0 ..< 50 * 3).map { _ in Float.random(in: 0 ... 1, using: &random) }
        let tree = try KDTree(points: points, dimension: 3)
        let found = try tree.nearest(toEach: queries, excluding: [0, 1, 2], distinct: true)
        var excluded: Set<Int> = [0, 1, 2]
        for query in 0 ..< 50 {
            let expected = try #require(bruteForce(points, dimension: 3, query: queries[query * 3 ..< query * 3 + 3],
                                                  excluded: excluded))
            #expect(found[query] == expected)
            excluded.insert(expected.index)
        }
        #expect(Set(found.map(\.index)).count == 50)
    }

    @Test("a pool of one point answers every query with it")
    func singlePoint() throws {
        let tree = try KDTree(points: [1, 2, 3], dimension: 3)
        #expect(try tree.nearest(to: [1, 2, 7]) == Neighbor(index: 0, distance: 4))
        #expect(try tree.nearest(toEach: [0, 0, 0, 1, 2, 3]).map(\.index) == [0, 0])
        #expect(throws: NearestNeighborError.allPointsExcluded) { try tree.nearest(to: [0, 0, 0], excluding: [0]) }
        #expect(throws: NearestNeighborError.allPointsExcluded) {
            try tree.nearest(toEach: [0, 0, 0, 1, 1, 1], distinct: true)
        }
    }

    @Test("invalid pools and queries give typed errors")
    func errors() throws {
        #expect(throws: NearestNeighborError.emptyPool) { try KDTree(points: [], dimension: 3) }
        #expect(throws: NearestNeighborError.invalidDimension(0)) { try KDTree(points: [1], dimension: 0) }
        #expect(throws: NearestNeighborError.coordinateCountMismatch(count: 4, dimension: 3)) {
            try KDTree(points: [1, 2, 3, 4], dimension: 3)
        }
        #expect(throws: NearestNeighborError.nonFinitePoolCoordinate(point: 1, axis: 2)) {
            try KDTree(points: [0, 0, 0, 1, 1, .nan], dimension: 3)
        }
        #expect(throws: NearestNeighborError.nonFinitePoolCoordinate(point: 0, axis: 0)) {
            try KDTree(points: [.infinity], dimension: 1)
        }
        let tree = try KDTree(points: [0, 0, 1, 1, 2, 2], dimension: 2)
        #expect(throws: NearestNeighborError.nonFiniteQueryCoordinate(query: 0, axis: 1)) {
            try tree.nearest(to: [0, .nan])
        }
        #expect(throws: NearestNeighborError.nonFiniteQueryCoordinate(query: 2, axis: 0)) {
            try tree.nearest(toEach: [0, 0, 1, 1, .nan, 0])
        }
        #expect(throws: NearestNeighborError.coordinateCountMismatch(count: 3, dimension: 2)) {
            try tree.nearest(to: [0, 0, 0])
        }
        #expect(throws: NearestNeighborError.excludedIndexOutOfRange(index: 3, count: 3)) {
            try tree.nearest(to: [0, 0], excluding: [3])
        }
        #expect(try tree.nearest(toEach: []).isEmpty)
    }

    @Test("a large batch answered in parallel equals brute force on a sample")
    func largeParallel() throws {
        var random = SeededGenerator(seed: 5)
        let count = 20_000
        let points = (0 ..< count * 3).map { _ in Float.random(in: -3 ... 3, using: &random) }
        let tree = try KDTree(points: points, dimension: 3)
        let queries = (0 ..< 2000 * 3).map { _ in Float.random(in: -4 ... 4, using: &random) }
        let found = try tree.nearest(toEach: queries, excluding: Set(0 ..< 1000))
        for query in stride(from: 0, to: 2000, by: 50) {
            let expected = bruteForce(points, dimension: 3, query: queries[query * 3 ..< query * 3 + 3],
                                      excluded: Set(0 ..< 1000))
            #expect(found[query] == expected)
        }
    }
}
