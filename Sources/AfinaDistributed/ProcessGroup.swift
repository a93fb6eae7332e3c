// The processes of one `mpirun` job (MPI_COMM_WORLD) and the few collectives data-parallel
// training and sharded generation use. Afina finds it was launched by Open MPI's mpirun from
// the environment (OMPI_COMM_WORLD_SIZE); only then is libmpi loaded (dlopen, see
// CAfinaMPI), so a machine without MPI runs every command as before.
import CAfinaMPI
import Foundation
import Synchronization

public enum DistributedError: Error, CustomStringConvertible {
    case libraryNotLoadable(library: String, reason: String)

    public var description: String {
        switch self {
        case let .libraryNotLoadable(library, reason):
            return "afina runs under mpirun but cannot load the MPI library \(library): \(reason). Install Open MPI 4.x "
                + "(Debian: apt-get install openmpi-bin libopenmpi-dev), or name its libmpi with AFINA_MPI_LIBRARY"
        }
    }
}

public final class ProcessGroup: Sendable {
    /// This process's index (0 is the one that writes results) and the number of processes.
    public let rank: Int
    public let size: Int
    let watchdog: CollectiveWatchdog

    public var isRoot: Bool { rank == 0 }

    /// The MPI job this process belongs to, joined on first use (MPI_Init), or nil when it was
    /// not launched by mpirun. Throws when under mpirun libmpi cannot be loaded.
    public static func world() throws -> ProcessGroup? {
        try membership.withLock { state in
            if case .notJoined = state {
                let environment = ProcessInfo.processInfo.environment
                state = try ProcessGroup(environment: environment).map { .joined($0) } ?? .alone
            }
            if case .joined(let group) = state { return group }
            return nil
        }
    }

    /// Ends this process's part in the job (MPI_Finalize) if it joined one; call once, at exit.
    public static func leave() {
        membership.withLock { state in
            if case .joined(let group) = state {
                group.watchdog.stop()
                _ = afina_mpi_finalize()
                state = .left
            }
        }
    }

    /// The job this process joined, if any (without joining one).
    public static var joined: ProcessGroup? {
        membership.withLock { state in
            if case .joined(let group) = state { return group }
            return nil
        }
    }

    /// Ends the job after this rank failed with `message` (a no-op outside a job). Other ranks
    /// wait a moment first: an error every rank meets (a bad file, a non-finite loss) is then
    /// reported once, by rank 0, whose abort ends the others.
    public static func abortJob(afterError message: String) {
        guard let group = joined else { return }
        if !group.isRoot { Thread.sleep(forTimeInterval: 2) }
        group.abort(message)
    }

    func abort(_ message: String) -> Never { endJob(rank: rank, size: size, message) }

    private enum Membership { case notJoined, alone, joined(ProcessGroup), left }
    private static let membership = Mutex<Membership>(.notJoined)

    /// The default library name, Debian's Open MPI 4.x.
    static let defaultLibrary = "libmpi.so.40"

    private init?(environment: [String: String]) throws {
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil else { return nil }
        let library = environment["AFINA_MPI_LIBRARY"] ?? Self.defaultLibrary
        var error = [CChar](repeating: 0, count: 512)
        guard afina_mpi_open(library, &error, error.count) == 0 else {
            let reason = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DistributedError.libraryNotLoadable(library: library, reason: reason)
        }
        // MPI's default error handler ends the job on a failed call, so these codes are 0.
        _ = afina_mpi_init()
        var (rank, size): (Int32, Int32) = (0, 0)
        _ = afina_mpi_rank(&rank)
        _ = afina_mpi_size(&size)
        (self.rank, self.size) = (Int(rank), Int(size))
        watchdog = CollectiveWatchdog(rank: self.rank, size: self.size,
                                      timeoutSeconds: environment["AFINA_MPI_TIMEOUT"].flatMap(Double.init)
                                          ?? CollectiveWatchdog.defaultTimeoutSeconds)
    }
}

/// Prints `message` naming the rank, then ends every process of the job (MPI_Abort).
func endJob(rank: Int, size: Int, _ message: String) -> Never {
    FileHandle.standardError.write(Data("afina rank \(rank) of \(size): \(message)\n".utf8))
    _ = afina_mpi_abort(1)
    exit(1)  // MPI_Abort does not return; this is in case it did
}

extension ProcessGroup {
    /// This rank's contiguous share of `count` items (rows of a micro-batch, prompts): the
    /// shares of all ranks cover 0..<count in rank order and differ in size by at most one.
    public func share(of count: Int) -> Range<Int> {
        count * rank / size..<count * (rank + 1) / size
    }
}
