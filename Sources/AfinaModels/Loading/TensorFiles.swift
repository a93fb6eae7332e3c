// Named float32 tensors to and from safetensors files: checkpoints and adapters.
import AfinaFormats
import AfinaTensor
import Foundation

public enum TensorFiles {
    /// Writes `tensors` (float32, in the given order) atomically.
    public static func write(_ tensors: [(String, Tensor)], backend: any Backend, metadata: [String: String] = [:],
                      to url: URL) throws {
        let entries: [SafetensorsWriter.Entry] = tensors.map { name, t in (name, .f32, t.shape, FloatBytes(t, backend)) }
        try SafetensorsWriter.write(tensors: entries, metadata: metadata, to: url)
    }

    /// A tensor's float32 bytes as the writer reads them: a float32 tensor in host memory lends
    /// its own, any other is copied out then and dropped after. (Copies made up front held a
    /// checkpoint's weights and optimizer state twice over: full fine-tuning of SmolLM2 peaked
    /// at 3.52 GB instead of 2.78 at its first checkpoint; the files are the same bytes.)
    private struct FloatBytes: ContiguousBytes {
        let tensor: Tensor, backend: any Backend
        init(_ tensor: Tensor, _ backend: any Backend) { (self.tensor, self.backend) = (tensor, backend) }

        func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            if tensor.dtype == .f32, let host = tensor.storage as? HostStorage, host.byteCount == tensor.count * 4 {
                return try body(UnsafeRawBufferPointer(start: host.pointer, count: host.byteCount))
            }
            return try backend.floats(tensor).withUnsafeBytes(body)
        }
    }

    /// Every tensor of a safetensors file as floats, with its shape.
    public static func read(_ url: URL, backend: any Backend) throws -> [String: (shape: [Int], values: [Float])] {
        let file = try SafetensorsFile(url: url)
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for name in file.tensorNames {
            let t = try file.tensor(named: name)
            out[name] = (t.shape, backend.floats(backend.tensor(bytes: t.bytes, dtype: t.dtype, shape: t.shape, owner: t.owner)))
        }
        return out
    }
}
