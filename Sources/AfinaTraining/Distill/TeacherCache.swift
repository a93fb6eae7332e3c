// Offline distillation: the teacher's top-k log-probabilities at every answer token of the
// training set, stored once so the student trains without the teacher in memory.
// The file is safetensors (readable by any tool): `ids` I32 [rows, k] and `logprobs` F32
// [rows, k] (sorted, most likely first, at the distillation temperature), `log_tail` F32
// [rows] (log of the mass of all other tokens), `offsets` I32 [examples + 1] (each example's
// first row); metadata: teacher, temperature, top_k and a fingerprint of the examples.
// Under mpirun each rank scores a contiguous share of the passes one process would run (so
// every row rounds as it would there); the rows are gathered and rank 0 writes the file.
import AfinaDistributed
import AfinaFormats
import AfinaModels
import AfinaTemplates
import AfinaTensor
import Foundation

public struct TeacherCache: @unchecked Sendable {
    public let teacher: String
    public let temperature: Double
    public let k: Int
    let ids: [Int32]
    let logprobs: [Float]
    let logTail: [Float]
    let offsets: [Int]

    /// The rows of examples `indices`, in order (checked against the sequences' target counts).
    func distribution(for indices: [Int], sequences: [TrainingSequence]) throws -> TeacherDistribution {
        var (outIDs, outLogprobs, outTail) = ([Int32](), [Float](), [Float]())
        for (index, sequence) in zip(indices, sequences) {
            let rows = offsets[index]..<offsets[index + 1]
            guard rows.count == sequence.targetCount else {
                throw TrainingError.invalidSetup("teacher cache: example \(index) has \(sequence.targetCount) answer tokens, the cache \(rows.count)")
            }
            outIDs += ids[rows.lowerBound * k..<rows.upperBound * k]
            outLogprobs += logprobs[rows.lowerBound * k..<rows.upperBound * k]
            outTail += logTail[rows]
        }
        return .topK(k: k, ids: outIDs, logprobs: outLogprobs, logTail: outTail)
    }

    /// A hash of the examples' tokens and answer masks in order, so a cache is only used
    /// with the data it was made from.
    static func fingerprint(_ examples: [TrainingSequence]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325                                 // FNV-1a
        func mix(_ value: UInt64) { hash = (hash ^ value) &* 0x100_0000_01b3 }
        for e in examples {
            mix(UInt64(e.tokens.count))
            for (token, target) in zip(e.tokens, e.targets) { mix(UInt64(UInt32(bitPattern: token)) << 1 | (target ? 1 : 0)) }
        }
        return String(format: "%016llx", hash)
    }
}

extension TeacherCache {
    /// Runs `model` over `examples` (about `tokensPerPass` tokens at a time) and writes the
    /// cache for the student's `studentExamples` (the same answers; by default the same
    /// sequences, or the teacher's with solved examples in front). `progress(done, total)`
    /// follows the examples (of this rank's share, with a `group`, whose rank 0 writes).
    public static func build(teacher model: any TrainableModel, name: String, examples: [TrainingSequence],
                             studentExamples: [TrainingSequence]? = nil, k: Int,
                             temperature: Double, tokensPerPass: Int = 2048, group: ProcessGroup? = nil, to url: URL,
                             progress: (Int, Int) -> Void = { _, _ in }) throws {
        let student = studentExamples ?? examples
        guard student.map(\.targetCount) == examples.map(\.targetCount) else {
            throw TrainingError.invalidSetup("the teacher's examples do not have the student's answer tokens "
                + "(longer than data.max_length with the shots in front? raise it)")
        }
        let backend = model.trainingBackend
        // Examples that all begin alike (solved examples in front: --shots) run that prefix
        // once per pass. That forward keeps every position's logits, so its passes are shorter.
        let firstTargetRow = examples.map { ($0.targets.dropFirst().firstIndex(of: true) ?? $0.tokens.count) - 1 }.min() ?? 0
        let shared = KVCache.sharedPrefixLength(examples.map(\.tokens), atMost: firstTargetRow)
        let sharing = examples.count > 1 && shared >= sharedPrefixMinimum
        let passes = Passes.ranges(sizes: examples.map { sharing ? $0.tokens.count - shared : $0.tokens.count },
                                   limit: sharing ? min(tokensPerPass, 512) : tokensPerPass)
        var (ids, logprobs, logTail) = ([Int32](), [Float](), [Float]())
        for range in passes[group?.share(of: passes.count) ?? passes.indices] {
            let pass = Array(examples[range])
            let logits = sharing ? try targetLogits(model, pass, sharing: shared) : backend.floats(model.targetLogits(pass))
            let v = model.vocabularySize
            for r in 0..<logits.count / v {
                let row = topK(logits[r * v..<(r + 1) * v], k: k, temperature: Float(temperature))
                ids += row.ids
                logprobs += row.logprobs
                logTail.append(row.logTail)
            }
            progress(range.upperBound, examples.count)
        }
        if let group {
            (ids, logprobs, logTail) = (group.allGather(concatenating: ids), group.allGather(concatenating: logprobs),
                                        group.allGather(concatenating: logTail))
            guard group.isRoot else { return }  // rank 0 writes
        }
        let offsets = examples.reduce(into: [Int32(0)]) { $0.append($0.last! + Int32($1.targetCount)) }
        let rows = logTail.count
        let metadata = ["teacher": name, "temperature": "\(temperature)", "top_k": "\(k)",
                        "examples": "\(examples.count)", "fingerprint": fingerprint(student)]
        // The writer replaces the file only once the new one is complete.
        func bytes<T>(_ values: [T]) -> Data { values.withUnsafeBytes { Data($0) } }
        try SafetensorsWriter.write(tensors: [("ids", .i32, [rows, k], bytes(ids)), ("logprobs", .f32, [rows, k], bytes(logprobs)),
                                              ("log_tail", .f32, [rows], bytes(logTail)), ("offsets", .i32, [offsets.count], bytes(offsets))],
                                    metadata: metadata, to: url)
    }

    /// Shortest shared prefix worth a separate forward.
    static let sharedPrefixMinimum = 16

    /// The logits at the target rows of `pass` (as `targetLogits` orders them), the `shared`
    /// tokens every example begins with run once: the decoding forward over a KV cache.
    static func targetLogits(_ model: any TrainableModel, _ pass: [TrainingSequence], sharing shared: Int) throws -> [Float] {
        let cache = model.makeCache(slots: pass.count, capacity: pass.map(\.tokens.count).max()!)
        try model.prefillShared(Array(pass[0].tokens[..<shared]), cache: cache)
        let chunks = pass.enumerated().map { SequenceChunk(slot: $0, tokens: Array($1.tokens[shared...])) }
        let all = model.backend.floats(try model.logits(chunks, cache: cache, allPositions: true))
        let v = model.vocabularySize
        var rows: [Float] = [], first = 0
        for e in pass {
            for position in shared..<e.tokens.count - 1 where e.targets[position + 1] {
                let r = first + position - shared
                rows += all[r * v..<(r + 1) * v]
            }
            first += e.tokens.count - shared
        }
        return rows
    }

    /// The k most likely tokens of softmax(logits / T), most likely first, and the log of the rest.
    static func topK(_ logits: ArraySlice<Float>, k: Int, temperature: Float) -> (ids: [Int32], logprobs: [Float], logTail: Float) {
        let row = logits.map { $0 / temperature }
        var best: [(value: Float, id: Int)] = []                                  // kept sorted, largest first
        for (j, value) in row.enumerated() where best.count < k || value > best[best.count - 1].value {
            let at = best.firstIndex { $0.value < value } ?? best.count
            best.insert((value, j), at: at)
            if best.count > k { best.removeLast() }
        }
        let top = best[0].value
        let chosen = Set(best.map(\.id))
        var (all, rest) = (0.0, 0.0)
        for (j, value) in row.enumerated() {
            let e = exp(Double(value - top))
            all += e
            if !chosen.contains(j) { rest += e }
        }
        let logZ = Double(top) + log(all)
        return (best.map { Int32($0.id) }, best.map { Float(Double($0.value) - logZ) }, Float(Double(top) + log(rest) - logZ))
    }

    /// Reads a cache and checks that it was made for `examples` at `temperature`.
    public init(url: URL, examples: [TrainingSequence], temperature: Double) throws {
        let file = try SafetensorsFile(url: url)
        func meta(_ key: String) throws -> String {
            guard let value = file.metadata[key] else { throw TrainingError.invalidSetup("\(url.path): not a teacher cache (no \(key))") }
            return value
        }
        teacher = try meta("teacher")
        guard let t = Double(try meta("temperature")), let k = Int(try meta("top_k")), k > 0 else {
            throw TrainingError.invalidSetup("\(url.path): bad teacher cache metadata")
        }
        (self.temperature, self.k) = (t, k)
        guard t == temperature else {
            throw TrainingError.invalidSetup("\(url.path) holds the teacher at temperature \(t), the config asks for \(temperature): "
                + "rebuild the cache with `afina distill cache` or set distill.temperature=\(t)")
        }
        guard try meta("fingerprint") == Self.fingerprint(examples), Int(try meta("examples")) == examples.count else {
            throw TrainingError.invalidSetup("\(url.path) was made for other training data (or another data.max_length, "
                + "split or seed): rebuild it with `afina distill cache` and this config")
        }
        func values<T>(_ name: String, _ dtype: DType, _ type: T.Type) throws -> [T] {
            let tensor = try file.tensor(named: name)
            guard tensor.dtype == dtype else { throw TrainingError.invalidSetup("\(url.path): \(name) is \(tensor.dtype), not \(dtype)") }
            return tensor.bytes.withMemoryRebound(to: T.self) { Array($0) }
        }
        ids = try values("ids", .i32, Int32.self)
        logprobs = try values("logprobs", .f32, Float.self)
        logTail = try values("log_tail", .f32, Float.self)
        offsets = try values("offsets", .i32, Int32.self).map(Int.init)
        guard offsets.count == examples.count + 1, offsets.last == logTail.count, ids.count == logTail.count * k,
              logprobs.count == ids.count else {
            throw TrainingError.invalidSetup("\(url.path): tensor sizes do not agree")
        }
    }
}

extension TeacherCache {
    /// The cache for a training config: its training examples exactly as `afina train` will
    /// render and split them, scored by `teacherName` at the config's distillation temperature.
    /// With `shots` the teacher sees those solved example turns before each conversation (as
    /// when it wrote the answers with `distill generate --shots`). Returns the number of
    /// examples and of answer tokens stored.
    public static func build(for config: TrainingConfig, teacher teacherName: String, k: Int, shots: [ChatMessage] = [],
                             group: ProcessGroup? = nil, to url: URL,
                             progress: (Int, Int) -> Void = { _, _ in }) throws -> (examples: Int, rows: Int) {
        let student = try ModelLoader.load(config.model, backend: config.backend.makeBackend(precision: config.precision))
        let (train, _, _) = try FineTuneRun.prepareData(config, student)
        let prompted = shots.isEmpty ? train : try FineTuneRun.prepareData(config, student, shots: shots).0
        try build(teacher: try Distillation.loadTeacher(teacherName, student: student), name: teacherName, examples: prompted,
                  studentExamples: train, k: k, temperature: config.distill.temperature, group: group, to: url,
                  progress: progress)
        return (train.count, train.map(\.targetCount).reduce(0, +))
    }
}
