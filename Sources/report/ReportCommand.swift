import ArgumentParser
import Foundation
import Reports

/// `report`: figures and a self-contained HTML page from results files.
@main
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report and PNG/SVG figures (learning curves, latent trajectories, stress maps) of results files.",
        discussion: """
            Reads results files of `latent-sampling experiment`, `latent-sampling benchmark` and `ivus-si` and writes,
            for FILE.h5, FILE.html (self-contained: figures inline) and FILE-<figure>.png and .svg.
            """
    )

    @Argument(help: "Results files (HDF5).")
    var files: [String]

    @Option(help: "Folder for the report and figures (default: each results file's folder).")
    var out: String?

    func run() throws {
        var failed = 0
        for file in files {
            do {
                let report = try ResultsReport(path: file)
                let folder = out ?? URL(fileURLWithPath: file).deletingLastPathComponent().path
                let written = try report.write(to: folder)
                print("\(file): \(report.figures.count) figure\(report.figures.count == 1 ? "" : "s")")
                for path in written { print("  wrote \(path)") }
            } catch {
                failed += 1
                FileHandle.standardError.write(Data("Error: \(file): \(error)\n".utf8))
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
