// Binding call arguments to Python-style parameter lists for the built-in filters, tests,
// globals and methods, with Python's messages for a wrong call.

extension Jinja.CallArguments {
    typealias Value = Jinja.Value

    /// One value per parameter name (nil where not given): positional arguments first, then
    /// keywords. The first `required` parameters must be given.
    func bind(_ function: String, _ names: [String], required: Int = 0) throws -> [Value?] {
        guard positional.count <= names.count else {
            throw Jinja.Failure("\(function)() takes at most \(names.count) argument(s) (\(positional.count) given)")
        }
        var values: [Value?] = positional + Array(repeating: nil, count: names.count - positional.count)
        for (name, value) in keyword {
            guard let i = names.firstIndex(of: name) else {
                throw Jinja.Failure("\(function)() got an unexpected keyword argument '\(name)'")
            }
            guard values[i] == nil else { throw Jinja.Failure("\(function)() got multiple values for argument '\(name)'") }
            values[i] = value
        }
        for i in 0..<required where values[i] == nil {
            throw Jinja.Failure("\(function)() missing required argument '\(names[i])'")
        }
        return values
    }
}

extension Jinja.Value {
    /// This value as a `str` argument of `function`.
    func string(for function: String) throws -> String {
        try failIfUndefined()
        guard case .string(let s) = self else {
            throw Jinja.Failure("\(function)() expects a string, not '\(typeName)'")
        }
        return s
    }

    /// This value as an `int` argument of `function` (a bool counts, as in Python).
    func int(for function: String) throws -> Int {
        try failIfUndefined()
        guard case .int(let i)? = number else {
            throw Jinja.Failure("\(function)() expects an integer, not '\(typeName)'")
        }
        return i
    }

    var scalars: [Unicode.Scalar] {
        if case .string(let s) = self { return Array(s.unicodeScalars) }
        return Array(pythonString.unicodeScalars)
    }
}
