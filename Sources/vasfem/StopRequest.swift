import Foundation

/// SIGTERM (Slurm's time limit, `kill`) and SIGINT (Ctrl-C) ask `vasfem label` to stop
/// gracefully: no new mask is started, the masks in flight are finished and written, and the
/// label file is published, so that a re-run resumes with nothing lost. A second signal ends
/// the process at once (the file then holds the masks of its last checkpoint).
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32 = 0
    private var sources: [DispatchSourceSignal] = []

    /// Installs the handlers for SIGTERM and SIGINT.
    init() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)  // the dispatch source, not the default action, handles it
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [unowned self] in self.receive(number) }
            source.resume()
            sources.append(source)
        }
    }

    private func receive(_ number: Int32) {
        lock.lock()
        let first = received == 0
        if first { received = number }
        lock.unlock()
        let name = number == SIGTERM ? "SIGTERM" : "SIGINT"
        if first {
            FileHandle.standardError.write(Data(
                "\nvasfem: \(name): finishing the masks in flight and writing the file (again to stop at once)\n".utf8))
        } else {
            FileHandle.standardError.write(Data("\nvasfem: \(name) again: stopping now\n".utf8))
            _exit(128 + number)
        }
    }

    /// The first signal received, or nil while none has come.
    var receivedSignal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received == 0 ? nil : received
    }

    /// Whether a stop has been asked for.
    var isRequested: Bool { receivedSignal != nil }
}
