import EngineModels
import Foundation
import HDF5Store
import Testing
import TensorEngine
@testable import NeuralNetworks

/// FNV-1a (64-bit) of the little-endian float32 bytes: an exact fingerprint of a tensor.
func fingerprint(_ values: [Float]) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for v in values {
        var bits = v.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { for byte in $0 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 } }
    }
    return h
}

@Suite("Model state in HDF5, read back by h5py")
struct StateArchiveInteropTests {
    static let python = "/usr/bin/python3"  // Debian's python3 with python3-h5py (setup.sh)

    @Test(.enabled(if: FileManager.default.fileExists(atPath: python)))
    func ivusNetStateIsReadableByH5pyUnderStableNames() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nn-archive-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ivus.h5").path

        // A network whose BatchNorm running statistics are not the defaults.
        let net = makeIVUSNet(baseChannels: 4, seed: 3)
        net.train()
        var g = SeededGenerator(seed: 4)
        _ = net(Tensor.uniform(shape: [3, 1, 64, 64], lower: 0, upper: 1, using: &g))
        try ParameterArchive.save(net, to: try HDF5File(path: path, mode: .truncate).createGroup("ivus"))

        let script = """
        import h5py, json, sys
        out = {}
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                h = 0xCBF29CE484222325
                for b in obj[()].astype('<f4').tobytes():
                    h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
                out[name] = [list(obj.shape), str(obj.dtype), str(h)]
        with h5py.File(sys.argv[1], "r") as f:
            f["ivus"].visititems(visit)
        print(json.dumps(out))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = ["-c", script, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "h5py could not read the archive")
        let seen = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [Any]])

        let state = net.namedState()
        #expect(seen.count == state.count)
        #expect(state.contains { $0.name == "down1/block1/bn/running_var" })
        for (name, variable) in state {
            let entry = try #require(seen[name], "h5py does not see \(name)")
            #expect(entry[0] as? [Int] == variable.value.shape, "\(name) shape")
            #expect(entry[1] as? String == "float32", "\(name) dtype")
            #expect(entry[2] as? String == String(fingerprint(variable.value.scalars)), "\(name) values differ")
        }

        // And the state round-trips exactly into a differently initialized network.
        let restored = makeIVUSNet(baseChannels: 4, seed: 99)
        try ParameterArchive.load(restored, from: try HDF5File(path: path).group("ivus"))
        for ((name, a), (_, b)) in zip(state, restored.namedState()) { #expect(a.value == b.value, "\(name)") }
    }
}
