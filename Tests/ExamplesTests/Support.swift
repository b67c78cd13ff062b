import CommandLineTesting
import Foundation
import Testing

/// Runs a built executable with `arguments` in `folder` (the shared runner, with the examples'
/// longer default time limit: the CIFAR-10 example trains four networks in a debug build).
func run(_ executable: String, _ arguments: [String], in folder: URL? = nil, timeout: Double = 300,
         sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
    try CommandLineTesting.run(executable, arguments, in: folder, timeout: timeout, sourceLocation: sourceLocation)
}

/// Whether process `pid` is gone: no such process, or only a zombie waiting to be reaped.
func processIsGone(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    // The state follows the command name in parentheses: "pid (comm) S ...".
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state == "Z" || state == "X"
}
