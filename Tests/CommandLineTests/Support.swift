import CommandLineTesting
import Foundation
import Testing

/// Fails the test with setup instructions unless Fashion-MNIST is installed.
func requireFashionMNIST(sourceLocation: SourceLocation = #_sourceLocation) throws {
    try #require(FileManager.default.fileExists(atPath: fashionMNISTDirectory + "/t10k-labels-idx1-ubyte.gz"),
                 "Fashion-MNIST is missing from \(fashionMNISTDirectory) (Debian package dataset-fashion-mnist); run ./setup.sh",
                 sourceLocation: sourceLocation)
}
