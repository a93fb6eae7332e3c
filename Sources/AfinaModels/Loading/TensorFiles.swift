// Named float32 tensors to and from safetensors files: checkpoints and adapters.
import AfinaFormats
import AfinaTensor
import Foundation

public enum TensorFiles {
    /// Writes `tensors` (float32, in the given order) atomically.
    public static func write(_ tensors: [(String, Tensor)], backend: any Backend, metadata: [String: String] = [:],
                      to url: URL) throws {
        let entries: [SafetensorsWriter.Entry] = tensors.map { name, t in
            let values = backend.floats(t)
            return (name, .f32, t.shape, values.withUnsafeBytes { Data($0) })
        }
        try SafetensorsWriter.write(tensors: entries, metadata: metadata, to: url)
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
