// Fields every response, and every chunk of one stream, repeats.
import Foundation

/// The id, creation time and model every response (and every chunk of one stream) repeats.
struct ResponseHeader {
    let id: String
    let created: Int
    let model: String

    init(prefix: String, model: String) {
        id = prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        created = Int(Date().timeIntervalSince1970)
        self.model = model
    }
}
