// The afina command line: thin commands that parse flags, call the libraries and print.
import AfinaDistributed
import AfinaTensor
import ArgumentParser

@main
struct Afina: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "afina",
        abstract: "Run, fine-tune and distill small open language models, in Swift.",
        subcommands: [Pull.self, Info.self, Tokenize.self, Generate.self, Embed.self, Classify.self, Train.self, Merge.self, Export.self, StudentCommand.self, DistillCommand.self, Eval.self, DataCommand.self, BiasCommand.self, Chart.self, Serve.self, Bench.self])

    static func main() {
        // Before any work: OpenBLAS's kernels are fixed when it loads (see BLASKernels).
        BLASKernels.restartWithBestCoreIfNeeded()
        do {
            var command = try parseAsRoot()
            try command.run()
            ProcessGroup.leave()
        } catch {
            // A rank of an mpirun job that stopped must end the job, or the others would wait for it.
            ProcessGroup.abortJob(afterError: fullMessage(for: error))
            exit(withError: error)
        }
    }
}
