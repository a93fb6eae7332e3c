// A GGUF metadata value: the 13 value types of the GGUF spec (ggml's docs/gguf.md,
// `gguf_metadata_value_type`), arrays included, with lenient typed accessors.

/// One metadata value of a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    /// Elements all of one type (which may itself be array).
    case array([GGUFValue])

    /// The text of a string value.
    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Any integer value that fits in `Int`.
    public var int: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// A floating-point value (float64 rounded to float32) or an integer converted.
    public var float: Float? {
        switch self {
        case .float32(let v): v
        case .float64(let v): Float(v)
        default: int.map(Float.init)
        }
    }

    /// A floating-point value (float32 widened exactly) or an integer converted.
    public var double: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: int.map(Double.init)
        }
    }

    /// The truth of a bool value.
    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements of an array value.
    public var array: [GGUFValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// An array whose elements are all strings.
    public var stringArray: [String]? { elements(\.string) }
    /// An array whose elements are all integers that fit in `Int`.
    public var intArray: [Int]? { elements(\.int) }
    /// An array whose elements are all numbers.
    public var floatArray: [Float]? { elements(\.float) }

    private func elements<T>(_ convert: (GGUFValue) -> T?) -> [T]? {
        guard let array else { return nil }
        var out: [T] = []
        out.reserveCapacity(array.count)
        for element in array {
            guard let v = convert(element) else { return nil }
            out.append(v)
        }
        return out
    }

    /// The GGUF type name ("uint32", "string", "array of string", ...), for error messages.
    public var typeName: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .uint16: "uint16"
        case .int16: "int16"
        case .uint32: "uint32"
        case .int32: "int32"
        case .uint64: "uint64"
        case .int64: "int64"
        case .float32: "float32"
        case .float64: "float64"
        case .bool: "bool"
        case .string: "string"
        case .array(let a): "array of " + (a.first?.typeName ?? "nothing")
        }
    }
}
