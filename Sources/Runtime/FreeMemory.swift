#if canImport(Glibc)
import Glibc
#endif

/// Hands the allocator's free pages back to the system (glibc `malloc_trim`). glibc keeps the
/// pages a step freed inside its per-thread arenas, so a service whose steps allocate and free
/// tens of megabytes grows to the sum of its largest steps' leftovers; trimmed between steps, its
/// resident memory follows what it holds (docs/scoring.md, "Memory").
/// - Returns: whether the allocator could be asked (false where there is no `malloc_trim`).
@discardableResult
public func releaseFreeMemory() -> Bool {
    #if canImport(Glibc)
    guard let mallocTrim else { return false }
    _ = mallocTrim(0)
    return true
    #else
    return false
    #endif
}

#if canImport(Glibc)
// Looked up rather than imported: Glibc's module map leaves <malloc.h> out. nil on a C library
// without it (musl), where trimming is skipped.
private let mallocTrim: (@convention(c) (Int) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
}()
#endif
