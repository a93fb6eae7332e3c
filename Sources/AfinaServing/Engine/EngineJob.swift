// One sequence inside the engine, from submission until its slot is freed.
import AfinaModels

/// Mutated on the engine thread only, except `cancelled`, which is guarded by the engine's lock.
final class EngineJob: @unchecked Sendable {
    let model: ServedModel
    /// Sequences of this model per decoding product (`RowIndependence`).
    let decodeRows: Int
    var state: SequenceState
    let events: AsyncStream<EngineEvent>.Continuation
    /// Cache slot while running; nil while waiting.
    var slot: Int?
    var cancelled = false
    /// Log-probabilities already sent in deltas.
    private var sentLogprobs = 0

    init(model: ServedModel, decodeRows: Int, events: AsyncStream<EngineEvent>.Continuation, state: SequenceState) {
        (self.model, self.decodeRows, self.events, self.state) = (model, decodeRows, events, state)
    }

    /// Samples the next token from `logits` [V] and reports what became final.
    func advance(logits: [Float]) {
        let piece = state.step(logits: logits, decode: model.decode)
        let logprobs = Array(state.logprobs[sentLogprobs...])
        if !piece.isEmpty || (state.finished && !logprobs.isEmpty) {
            events.yield(.delta(text: piece, logprobs: logprobs))
            sentLogprobs = state.logprobs.count
        }
        if state.finished {
            events.yield(.finished(state.result))
            events.finish()
        }
    }

    func fail(_ message: String) {
        events.yield(.failed(message))
        events.finish()
    }
}
