// afina student init: a smaller student made from a teacher by keeping some of its decoder
// layers (DistilBERT's initialisation), written as a Hugging Face directory to distill into.
import AfinaModels
import ArgumentParser
import Foundation

struct StudentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "student",
        abstract: "Make student models for distillation.",
        subcommands: [Init.self])
}

extension StudentCommand {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Make a student from a teacher by keeping some of its decoder layers.",
            discussion: """
                The student has the teacher's embeddings, final norm, output head (tied or not), \
                tokenizer and settings, and the kept layers in order, renumbered from 0; weights are \
                float32. OUT holds config.json, model.safetensors and, when the teacher is a Hugging \
                Face directory, its tokenizer files; from a GGUF teacher (or base), afina.json names \
                it and Afina uses its tokenizer. An adapter directory is merged into its base first.

                LIST is comma-separated items, in ascending order, each layer at most once \
                (layers are numbered from 0):
                  N        one layer
                  A-B      layers A through B, inclusive
                  A-B:S    every S-th layer from A up to B (0-29:2 keeps 0, 2, ..., 28)

                Example: every other layer of SmolLM2-135M's 30; then distill into it with \
                `afina train` (model: student, distill.teacher: smollm2-135m-instruct).
                  afina student init --from smollm2-135m-instruct --keep-layers 0-29:2 student
                """)

        @Option(name: .customLong("from"), help: ArgumentHelp(
            "Teacher: a pulled name, a .gguf file, a Hugging Face directory or an adapter directory.",
            valueName: "teacher"))
        var teacher: String
        @Option(name: .customLong("keep-layers"), help: ArgumentHelp(
            "Teacher layers to keep, e.g. 0,2,4-7 or 0-29:2 (syntax above).", valueName: "list"))
        var keepLayers: String
        @Argument(help: ArgumentHelp("Output directory.", valueName: "out")) var output: String
        @OptionGroup var backendOptions: BackendOptions

        func run() throws {
            let loaded = try ModelLoader.load(teacher, backend: backendOptions.make())
            guard let teacherModel = loaded.model as? any LayerPrunableModel & ExportableModel else {
                throw ValidationError("\(loaded.info.architecture) models cannot make students yet")
            }
            let selection = try LayerSelection(parsing: keepLayers, layerCount: teacherModel.layerCount)
            // An adapter directory loads with its adapters unmerged; fold them in so they survive.
            let student = try teacherModel.withAdaptersMerged().keepingLayers(selection.indices)
            // The tokenizer is the base's: its files are copied, or afina.json names the GGUF base.
            let source = URL(fileURLWithPath: loaded.info.path)
            var isDirectory: ObjCBool = false
            let fromDirectory = FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory)
                && isDirectory.boolValue
            try student.writeHuggingFace(to: URL(fileURLWithPath: output), tokenizer: loaded.tokenizer,
                                         tokenizerDirectory: fromDirectory ? source : nil,
                                         tokenizerFrom: PEFTAdapter.baseModel(ofDirectory: teacher) ?? teacher)
            print("\(teacherModel.layerCount) layers -> \(student.layerCount) layers, "
                + "\(teacherModel.parameterCount) -> \(student.parameterCount) parameters, wrote \(output)")
        }
    }
}
