// Blocking work (file reads, sockets) awaited from async code without holding one of the
// concurrency pool's threads, which number the cores: two here.
import Foundation

/// Runs `work` on a new thread and returns its result.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result(catching: work)) }.start()
    }
}
