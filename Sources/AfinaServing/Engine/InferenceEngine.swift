// Continuous batching (Orca, Yu et al. 2022): one thread owns the networks and a KV cache
// with `maxBatch` slots. Between decode steps it drops cancelled sequences, moves waiting
// requests into free slots and prefills each, then advances every running sequence of one
// model id by a token, in groups of `decodeRows` sequences per product (see RowIndependence).
// Model ids (the base and each adapter) take turns, one step each: each id has its own
// network (an adapter rides on its own copy of the base), so one product serves one id.
// Adapters can be added and removed while serving; changes run on the engine thread
// between steps, and sequences already running keep the model they started with.
import AfinaModels
import Foundation

public final class InferenceEngine: @unchecked Sendable {
    public let options: EngineOptions
    /// Positions per cache slot: the longest prompt plus answer a request may have.
    public let contextLength: Int
    private let cache: KVCache
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var served: [EngineModel]
    private var waiting: [EngineJob] = []
    /// Model changes for the engine thread to make between steps (told whether it is stopping).
    private var changes: [(_ stopping: Bool) -> Void] = []
    private var stopping = false
    private var counters = EngineStatistics()
    // Engine thread only.
    private var running: [EngineJob] = []
    private var freeSlots: [Int]
    private var turn = 0

    /// Every model must share one architecture (they are the base and its adapters).
    public init(models: [ServedModel], options: EngineOptions) throws {
        precondition(!models.isEmpty && options.maxBatch > 0 && (options.decodeRowsPerCall ?? 1) > 0)
        precondition(Set(models.map(\.id)).count == models.count, "model ids must be distinct")
        served = try models.map { try EngineModel($0, options: options) }
        self.options = options
        let network = models[0].network
        contextLength = min(options.contextLength ?? network.contextLength, network.contextLength)
        cache = network.makeCache(slots: options.maxBatch, capacity: contextLength)
        freeSlots = Array((0..<options.maxBatch).reversed())
        let thread = Thread { [self] in run() }
        thread.name = "afina-engine"
        thread.start()
    }

    public var statistics: EngineStatistics { condition.withLock { counters } }

    /// The models served now, the first (the base) first.
    public var models: [ServedModel] { condition.withLock { served.map(\.model) } }

    /// Sequences per decoding product for the model `id` (nil when it is not served).
    public func decodeRows(of id: String) -> Int? { condition.withLock { served.first { $0.model.id == id }?.decodeRows } }

    /// Starts serving `model` (an adapter over the same base); its rows per product are
    /// measured on the engine thread, between decode steps.
    public func add(_ model: ServedModel) async throws {
        try await onEngineThread { [self] in
            guard !models.contains(where: { $0.id == model.id }) else { throw EngineRejection.duplicateModel(model.id) }
            let entry = try EngineModel(model, options: options)
            condition.withLock { served.append(entry) }
        }
    }

    /// Stops offering the model `id` to new requests; its running sequences finish. False
    /// when no such model is served.
    public func remove(_ id: String) -> Bool {
        condition.withLock {
            guard let index = served.firstIndex(where: { $0.model.id == id }) else { return false }
            served.remove(at: index)
            return true
        }
    }

    /// Queues `request` for the model named `modelID`; the prompt must fit `contextLength`.
    public func submit(_ request: GenerationRequest, model modelID: String) throws(EngineRejection) -> EngineStream {
        let (events, continuation) = AsyncStream.makeStream(of: EngineEvent.self)
        let queued: Result<EngineJob, EngineRejection> = condition.withLock {
            if stopping { return .failure(.stopped) }
            guard let model = served.first(where: { $0.model.id == modelID }) else { return .failure(.unknownModel(modelID)) }
            guard waiting.count < options.maxQueue else { return .failure(.queueFull(limit: options.maxQueue)) }
            let job = EngineJob(model: model.model, decodeRows: model.decodeRows, events: continuation,
                                state: SequenceState(request: request, capacity: contextLength))
            waiting.append(job)
            counters.waiting = waiting.count
            condition.signal()
            return .success(job)
        }
        let job = try queued.get()
        let cancel: @Sendable () -> Void = { [weak self, job] in self?.cancel(job) }
        continuation.onTermination = { reason in if case .cancelled = reason { cancel() } }
        return EngineStream(events: events, onCancel: cancel)
    }

    /// Ends the engine thread; sequences still queued or running fail.
    public func shutdown() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    private func cancel(_ job: EngineJob) {
        condition.withLock {
            job.cancelled = true
            condition.signal()
        }
    }

    /// Runs `change` on the engine thread between steps; throws what it throws, or
    /// `EngineRejection.stopped` when the engine stops first.
    private func onEngineThread(_ change: @escaping () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let stopped: Bool = condition.withLock {
                if stopping { return true }
                changes.append { stopping in
                    continuation.resume(with: stopping ? .failure(EngineRejection.stopped) : Result(catching: change))
                }
                condition.signal()
                return false
            }
            if stopped { continuation.resume(throwing: EngineRejection.stopped) }
        }
    }

    private func run() {
        while let work = nextWork() {
            for change in work.changes { change(false) }
            for job in work.admitted { prefill(job) }
            decodeNextModel()
            condition.withLock { counters.running = running.count }
        }
        let left: [EngineJob] = condition.withLock { waiting + running }
        let refused: [(Bool) -> Void] = condition.withLock { changes }
        for job in left { job.fail("the server is shutting down") }
        for change in refused { change(true) }
    }

    /// Waits for work, then drops cancelled sequences and gives free slots to waiting ones.
    /// Returns the newly admitted sequences and the model changes to make; nil once the engine stops.
    private func nextWork() -> (admitted: [EngineJob], changes: [(Bool) -> Void])? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && running.isEmpty && changes.isEmpty && !stopping { condition.wait() }
        if stopping { return nil }
        let pendingChanges = changes
        changes = []
        for job in waiting + running where job.cancelled {
            if let slot = job.slot { freeSlots.append(slot) }
            job.events.finish()
            counters.cancelled += 1
        }
        waiting.removeAll(where: \.cancelled)
        running.removeAll(where: \.cancelled)
        var admitted: [EngineJob] = []
        while !waiting.isEmpty, let slot = freeSlots.popLast() {
            let job = waiting.removeFirst()
            job.slot = slot
            admitted.append(job)
        }
        counters.waiting = waiting.count
        counters.running = running.count + admitted.count
        counters.peakRunning = max(counters.peakRunning, counters.running)
        return (admitted, pendingChanges)
    }

    /// Runs the prompt of a newly admitted sequence into its slot and samples its first token.
    private func prefill(_ job: EngineJob) {
        let slot = job.slot!
        cache.reset(slot: slot)
        if job.state.finished { return finish(job) }   // no room left for even one token
        do {
            let chunk = SequenceChunk(slot: slot, tokens: job.state.request.prompt)
            let logits = try job.model.network.logits([chunk], cache: cache, allPositions: false)
            job.advance(logits: job.model.network.backend.floats(logits))
            if job.state.finished { finish(job) } else { running.append(job) }
        } catch {
            fail([job], error)
        }
    }

    /// One decode step for the running sequences of the next model id in turn (ids in order
    /// of their oldest running sequence; a removed adapter's sequences still finish).
    private func decodeNextModel() {
        var active: [String] = []
        for job in running where !active.contains(job.model.id) { active.append(job.model.id) }
        guard !active.isEmpty else { return }
        let id = active[turn % active.count]
        turn &+= 1
        let jobs = running.filter { $0.model.id == id }
        let network = jobs[0].model.network
        let perCall = jobs[0].decodeRows
        for start in stride(from: 0, to: jobs.count, by: perCall) {
            let rows = Array(jobs[start..<min(start + perCall, jobs.count)])
            do {
                let chunks = rows.map { SequenceChunk(slot: $0.slot!, tokens: [$0.state.ids.last!]) }
                let logits = network.backend.floats(try network.logits(chunks, cache: cache, allPositions: false))
                let vocabulary = logits.count / rows.count
                for (r, job) in rows.enumerated() {
                    job.advance(logits: Array(logits[r * vocabulary..<(r + 1) * vocabulary]))
                    if job.state.finished { finish(job) }
                }
            } catch {
                fail(rows, error)
            }
        }
    }

    private func finish(_ job: EngineJob) {
        release(job)
        condition.withLock { counters.completed += 1 }
    }

    private func fail(_ jobs: [EngineJob], _ error: Error) {
        for job in jobs {
            release(job)
            job.fail("generation failed: \(error)")
        }
        condition.withLock { counters.failed += jobs.count }
    }

    private func release(_ job: EngineJob) {
        running.removeAll { $0 === job }
        if let slot = job.slot { freeSlots.append(slot) }
        job.slot = nil
    }
}

/// A served model and how many of its sequences one decoding product may hold.
private struct EngineModel {
    let model: ServedModel
    let decodeRows: Int

    init(_ model: ServedModel, options: EngineOptions) throws {
        self.model = model
        decodeRows = try options.decodeRowsPerCall ?? RowIndependence.rows(of: model.network, upTo: options.maxBatch)
    }
}
