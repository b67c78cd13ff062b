// `swift package report [FILE.h5 ...] [--out DIR]`: builds the `report` tool (release) and runs it on
// results files, writing FILE.html and FILE-<figure>.png/.svg beside each file (or into DIR).
// Without files it reports Output/ivus-si.h5, the main job's results file.
//
// On macOS, where plugins run sandboxed, let it write the folder:
//   swift package --allow-writing-to-directory Output report Output/ivus-si.h5
import Foundation
import PackagePlugin

@main
struct ReportPlugin: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let build = try packageManager.build(.product("report"), parameters: .init(configuration: .release, logging: .concise))
        guard build.succeeded else {
            Diagnostics.error("building the report tool failed:\n\(build.logText)")
            return
        }
        guard let tool = build.builtArtifacts.first(where: { $0.kind == .executable && $0.url.lastPathComponent == "report" }) else {
            Diagnostics.error("the build produced no `report` executable")
            return
        }
        let process = Process()
        process.executableURL = tool.url
        // Relative paths are taken from the package's root.
        process.currentDirectoryURL = context.package.directoryURL
        process.arguments = arguments.isEmpty ? ["Output/ivus-si.h5"] : arguments
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            Diagnostics.error("report exited with status \(process.terminationStatus)")
        }
    }
}
