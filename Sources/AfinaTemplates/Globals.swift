// The global functions a chat template can call: Jinja's `range`, `namespace` and `dict`,
// and transformers' `raise_exception` and `strftime_now`.

import Foundation

extension Jinja {
    /// Looked up after the template's variables, so a variable can shadow a global.
    static let globals: [String: @Sendable (CallArguments) throws -> Value] = [
        "range": { args in
            let a = try args.bind("range", ["start", "stop", "step"], required: 1)
            var start = 0, stop = try a[0]!.int(for: "range"), step = 1
            if let end = a[1] {
                start = stop
                stop = try end.int(for: "range")
            }
            if let s = a[2] { step = try s.int(for: "range") }
            guard step != 0 else { throw Failure("range() arg 3 must not be zero") }
            // Jinja's sandbox refuses ranges over MAX_RANGE items (counted without overflow).
            let span = step > 0 ? Double(stop) - Double(start) : Double(start) - Double(stop)
            guard (span / Double(step.magnitude)).rounded(.up) <= 100_000 else {
                throw Failure("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).")
            }
            return .array(stride(from: start, to: stop, by: step).map(Value.int))
        },
        "namespace": { args in .namespace(Namespace(try dictionary(args, "namespace"))) },
        "dict": { args in .dict(try dictionary(args, "dict")) },
        "raise_exception": { args in
            let a = try args.bind("raise_exception", ["message"], required: 1)
            throw Failure(raised: a[0]!.pythonString)
        },
        "strftime_now": { args in
            let a = try args.bind("strftime_now", ["format"], required: 1)
            return .string(strftimeNow(try a[0]!.string(for: "strftime_now")))
        },
    ]

    /// Python's `dict(mapping_or_pairs, **kwargs)`.
    private static func dictionary(_ args: CallArguments, _ function: String) throws -> Dict {
        guard args.positional.count <= 1 else {
            throw Failure("\(function) expected at most 1 positional argument, got \(args.positional.count)")
        }
        var dict = Dict()
        switch args.positional.first {
        case nil: break
        case .dict(let given)?: dict = given
        case let pairs?:
            for pair in try iterate(pairs) {
                let kv = try iterate(pair)
                guard kv.count == 2 else { throw Failure("\(function) update sequence element has length \(kv.count); 2 is required") }
                dict[try kv[0].string(for: function)] = kv[1]
            }
        }
        for (name, value) in args.keyword { dict[name] = value }
        return dict
    }

    /// `datetime.now().strftime(format)`: the C library's `strftime` on local time.
    private static func strftimeNow(_ format: String) -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 512)
        let count = strftime(&buffer, buffer.count, format, &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
