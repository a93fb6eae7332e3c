// Summing what each rank computed on its share of a step: the gradients (MPI_Allreduce in
// buckets of about 1M floats, small tensors such as LoRA's packed together so a step makes a
// few large calls rather than hundreds of small ones) and the loss terms for the metrics.
// Tensors are read and written through the backend, so another backend only changes how
// its gradients reach host memory.
import AfinaDistributed
import AfinaModels
import AfinaTensor

extension ProcessGroup {
    /// Replaces every gradient by its sum over the ranks.
    func sum(_ gradients: Gradients, backend: any TrainingBackend) {
        var bucket: [Float] = []
        var members: [Tensor] = []
        func flush() {
            sum(&bucket)
            var offset = 0
            for g in members {
                backend.assign(Array(bucket[offset..<offset + g.count]), to: g)
                offset += g.count
            }
            bucket.removeAll(keepingCapacity: true)
            members.removeAll()
        }
        for g in gradients.tensors {
            if !members.isEmpty, bucket.count + g.count > Self.floatsPerCall { flush() }
            bucket += backend.floats(g)
            members.append(g)
        }
        if !members.isEmpty { flush() }
    }

    /// The summed loss and distillation terms of all ranks (`distilling`: whether a rank
    /// without rows still takes part with zero terms).
    func sum(_ loss: Double, _ terms: DistillationTerms?, distilling: Bool) -> (Double, DistillationTerms?) {
        guard distilling else { return (sum([loss])[0], nil) }
        let t = terms ?? DistillationTerms()
        let sums = sum([loss, t.crossEntropy, t.divergence, Double(t.agreements)])
        return (sums[0], DistillationTerms(crossEntropy: sums[1], divergence: sums[2], agreements: Int(sums[3])))
    }
}
