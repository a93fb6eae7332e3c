// Continuous batching (Orca, Yu et al. 2022): one thread owns the networks and a KV cache
// with `maxBatch` slots. Between decode steps it drops cancelled sequences, moves waiting
// requests into free slots and prefills each, then advances every running sequence of one
// model id by a token, in groups of `decodeRows` sequences per product (see RowIndependence).
// Model ids (the base and each adapter) take turns, one step each: each id has its own
// network (an adapter rides on its own copy of the base), so one product serves one id.
import AfinaModels
import Foundation

public final class InferenceEngine: @unchecked Sendable {
    public let models: [ServedModel]
    public let options: EngineOptions
    /// Positions per cache slot: the longest prompt plus answer a request may have.
    public let contextLength: Int
    /// Sequences per decoding product, by model id.
    public let decodeRows: [String: Int]
    private let cache: KVCache
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var waiting: [EngineJob] = []
    private var stopping = false
    private var counters = EngineStatistics()
    // Engine thread only.
    private var running: [EngineJob] = []
    private var freeSlots: [Int]
    private var nextModel = 0

    /// Every model must share one architecture (they are the base and its adapters).
    public init(models: [ServedModel], options: EngineOptions) throws {
        precondition(!models.isEmpty && options.maxBatch > 0 && (options.decodeRowsPerCall ?? 1) > 0)
        precondition(Set(models.map(\.id)).count == models.count, "model ids must be distinct")
        self.models = models
        decodeRows = try Dictionary(uniqueKeysWithValues: models.map { model in
            (model.id, try options.decodeRowsPerCall ?? RowIndependence.rows(of: model.network, upTo: options.maxBatch))
        })
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

    /// Queues `request` for the model named `modelID`; the prompt must fit `contextLength`.
    public func submit(_ request: GenerationRequest, model modelID: String) throws(EngineRejection) -> EngineStream {
        guard let model = models.first(where: { $0.id == modelID }) else { throw .unknownModel(modelID) }
        let (events, continuation) = AsyncStream.makeStream(of: EngineEvent.self)
        let job = EngineJob(model: model, state: SequenceState(request: request, capacity: contextLength),
                            events: continuation)
        let rejection: EngineRejection? = condition.withLock {
            if stopping { return .stopped }
            guard waiting.count < options.maxQueue else { return .queueFull(limit: options.maxQueue) }
            waiting.append(job)
            counters.waiting = waiting.count
            condition.signal()
            return nil
        }
        if let rejection { throw rejection }
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

    private func run() {
        while let admitted = nextAdmissions() {
            for job in admitted { prefill(job) }
            decodeNextModel()
            condition.withLock { counters.running = running.count }
        }
        let left = condition.withLock { waiting + running }
        for job in left { job.fail("the server is shutting down") }
    }

    /// Waits for work, then drops cancelled sequences and gives free slots to waiting ones.
    /// Returns the newly admitted sequences; nil once the engine stops.
    private func nextAdmissions() -> [EngineJob]? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty && running.isEmpty && !stopping { condition.wait() }
        if stopping { return nil }
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
        return admitted
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

    /// One decode step for the running sequences of the next model id in turn.
    private func decodeNextModel() {
        let active = Set(running.map(\.model.id))
        guard let index = (0..<models.count).map({ (nextModel + $0) % models.count })
            .first(where: { active.contains(models[$0].id) }) else { return }
        nextModel = index + 1
        let jobs = running.filter { $0.model.id == models[index].id }
        let network = jobs[0].model.network
        let perCall = decodeRows[models[index].id]!
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
