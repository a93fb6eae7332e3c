// Training checkpoints, written atomically: everything goes into a temporary folder that is
// renamed to `step-<N>` only when complete, so a run killed mid-write (even by kill -9)
// leaves the previous checkpoint intact. A checkpoint holds the trainable weights, the
// optimizer state and the loop state (step, data position, early-stopping record).
import AfinaData
import AfinaModels
import AfinaTensor
import Foundation

/// The loop's own state, besides tensors.
public struct LoopState: Codable, Sendable, Equatable {
    public var step: Int
    public var sampler: BatchSampler
    public var bestValidationLoss: Double?
    public var evaluationsWithoutImprovement: Int
}

/// A trainer whose state a checkpoint holds: the optimizer (trainable weights and their
/// state) and the data position.
public protocol CheckpointedTrainer: AnyObject {
    var optimizer: Optimizer { get }
    var sampler: BatchSampler { get set }
    var backend: any TrainingBackend { get }
}

public enum Checkpoint {
    /// Writes a checkpoint under `directory` and removes older ones; returns its folder.
    @discardableResult
    public static func write(_ trainer: any CheckpointedTrainer, state: LoopState, to directory: URL) throws -> URL {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let final = directory.appendingPathComponent(String(format: "step-%06d", state.step))
        let temporary = directory.appendingPathComponent(".incomplete-\(state.step)-\(getpid())")
        // Half-written folders of runs killed mid-write go first: one run writes here at a time.
        for name in (try? fm.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasPrefix(".incomplete-") {
            try? fm.removeItem(at: directory.appendingPathComponent(name))
        }
        do {
            try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
            let backend = trainer.backend
            try TensorFiles.write(trainer.optimizer.parameters.map { ($0.name, $0.value) }, backend: backend,
                                  to: temporary.appendingPathComponent("weights.safetensors"))
            try TensorFiles.write(trainer.optimizer.stateTensors, backend: backend,
                                  to: temporary.appendingPathComponent("optimizer.safetensors"))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(state).write(to: temporary.appendingPathComponent("state.json"))
        } catch {
            // A full disk: the space goes back, the previous checkpoint stays the one to resume.
            try? fm.removeItem(at: temporary)
            throw error
        }
        try? fm.removeItem(at: final)
        try fm.moveItem(at: temporary, to: final)
        for old in try completed(in: directory) where old.lastPathComponent != final.lastPathComponent {
            try? fm.removeItem(at: old)
        }
        return final
    }

    /// Complete checkpoints in `directory`, oldest first.
    public static func completed(in directory: URL) throws -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("step-") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Loads the checkpoint at `url` into the trainer's weights and optimizer; returns the loop state.
    public static func restore(_ trainer: any CheckpointedTrainer, from url: URL) throws -> LoopState {
        let backend = trainer.backend
        let state: LoopState
        do {
            state = try JSONDecoder().decode(LoopState.self, from: Data(contentsOf: url.appendingPathComponent("state.json")))
        } catch {
            throw TrainingError.badCheckpoint("\(url.path)/state.json: \(error)")
        }
        let weights = try TensorFiles.read(url.appendingPathComponent("weights.safetensors"), backend: backend)
        for p in trainer.optimizer.parameters {
            guard let w = weights[p.name], w.shape == p.value.shape else {
                throw TrainingError.badCheckpoint("\(url.path): weight '\(p.name)' is missing or has another shape")
            }
            backend.assign(w.values, to: p.value)
            backend.declareWeight(p.value)  // drops forms of the values it had
        }
        let optimizer = try TensorFiles.read(url.appendingPathComponent("optimizer.safetensors"), backend: backend)
        try trainer.optimizer.restore(step: state.step, tensors: optimizer.mapValues(\.values))
        trainer.sampler = state.sampler
        return state
    }
}
