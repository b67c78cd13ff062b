import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One run of an external program in its own process group, with its standard output read
/// line by line as it arrives and a watchdog: when no line arrives for `timeout` seconds (or,
/// before the first line, for `startupTimeout` seconds), the whole process group (the program
/// and anything it started) is killed with SIGKILL.
///
/// Killing the group, not just the child, matters: a script that starts a solver leaves the
/// solver holding the output pipe, and the caller would wait for an end of file that never comes.
struct ChildProgram {
    /// How a run ended.
    enum Ending: Sendable, Equatable {
        /// The program exited with this status.
        case exited(Int32)
        /// The program died from this signal (not ours).
        case signaled(Int32)
        /// No line arrived for the timeout (or the start-up timeout); the process group was killed.
        case timedOut(startingUp: Bool)
    }

    /// One line of standard output and when it arrived (seconds since the start).
    struct Line: Sendable {
        var text: String
        var seconds: Double
    }

    /// What a finished run left.
    struct Result: Sendable {
        var lines: [Line]
        var ending: Ending
        /// The last few hundred characters of standard error.
        var errorTail: String
        /// Wall-clock seconds from the start to the end of the run (the kill, for a timeout).
        var seconds: Double
        /// The program's process id (also its process group id).
        var processID: Int32
    }

    /// Why a program could not be started.
    struct StartError: Error, CustomStringConvertible {
        var program: String
        var code: Int32
        var description: String { "cannot start '\(program)': \(String(cString: strerror(code)))" }
    }

    /// Serializes making pipes and spawning, across every run in this process.
    private static let spawnLock = NSLock()

    /// The command line: the executable (looked up in PATH when it has no slash) and its arguments.
    var arguments: [String]
    /// Seconds without a new line of output after which the run is killed.
    var timeout: Double
    /// Seconds allowed until the first line (an interpreter or a solver loading its model may
    /// take longer to start than to answer).
    var startupTimeout: Double
    /// Called with each line as soon as it arrives (for progress), on the run's thread.
    var onLine: @Sendable (Line) -> Void = { _ in }

    /// Runs the program to its end (or its kill) on the calling thread. Standard input is
    /// `/dev/null`; standard error is kept (its tail) for messages.
    func run() throws -> Result {
        var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        // The pipes are made close-on-exec, and made and spawned under one lock, so that
        // programs started concurrently by other runs never inherit them (a stray inherited
        // write end would keep a pipe from ever reaching its end).
        Self.spawnLock.lock()
        var locked = true
        defer { if locked { Self.spawnLock.unlock() } }
        guard pipe(&output) == 0 else { throw StartError(program: arguments[0], code: errno) }
        guard pipe(&errors) == 0 else {
            close(output[0]); close(output[1])
            throw StartError(program: arguments[0], code: errno)
        }
        for descriptor in output + errors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new process group whose id is the child's pid: kill(-pid) reaches everything it starts.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let started = ContinuousClock.now
        let code = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        close(output[1]); close(errors[1])
        Self.spawnLock.unlock()
        locked = false
        guard code == 0 else {
            close(output[0]); close(errors[0])
            throw StartError(program: arguments[0], code: code)
        }
        defer { close(output[0]); close(errors[0]) }

        func elapsed() -> Double { (ContinuousClock.now - started) / .seconds(1) }
        var lines: [Line] = []
        var pending: [UInt8] = [], errorTail: [UInt8] = []
        var outputOpen = true, errorOpen = true
        var lastProgress: Double?
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while outputOpen || errorOpen {
            let remaining = lastProgress.map { timeout - (elapsed() - $0) } ?? startupTimeout - elapsed()
            if remaining <= 0 {
                kill(-pid, SIGKILL)  // the program and every process it started
                timedOut = true
                break
            }
            var descriptors = [pollfd(fd: outputOpen ? output[0] : -1, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: errorOpen ? errors[0] : -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, 2, Int32(min(remaining * 1000, 1_000).rounded(.up)))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            for (slot, descriptor) in descriptors.enumerated() where descriptor.fd >= 0 && descriptor.revents != 0 {
                let count = read(descriptor.fd, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    if slot == 0 { outputOpen = false } else { errorOpen = false }
                    continue
                }
                if slot == 1 {
                    errorTail.append(contentsOf: buffer[0..<count])
                    if errorTail.count > 2_000 { errorTail.removeFirst(errorTail.count - 2_000) }
                    continue
                }
                pending.append(contentsOf: buffer[0..<count])
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let text = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    let line = Line(text: text, seconds: elapsed())
                    lastProgress = line.seconds
                    lines.append(line)
                    onLine(line)
                }
            }
        }
        if !pending.isEmpty { lines.append(Line(text: String(decoding: pending, as: UTF8.self), seconds: elapsed())) }
        var status: Int32 = 0
        if !timedOut {
            // Both pipes are closed; a program that closed them and went on running gets the
            // same watchdog before it is killed.
            while waitpid(pid, &status, WNOHANG) == 0 {
                let waited = elapsed() - (lastProgress ?? 0)
                if waited > (lastProgress == nil ? startupTimeout : timeout) {
                    kill(-pid, SIGKILL)
                    timedOut = true
                    break
                }
                usleep(10_000)
            }
        }
        let seconds = elapsed()
        if timedOut { while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
        kill(-pid, SIGKILL)  // anything the program left running in its group
        let ending: Ending
        if timedOut {
            ending = .timedOut(startingUp: lastProgress == nil)
        } else if status & 0x7f == 0 {
            ending = .exited((status >> 8) & 0xff)
        } else {
            ending = .signaled(status & 0x7f)
        }
        return Result(lines: lines, ending: ending, errorTail: String(decoding: errorTail, as: UTF8.self),
                      seconds: seconds, processID: pid)
    }
}
