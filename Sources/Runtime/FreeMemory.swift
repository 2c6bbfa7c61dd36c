#if canImport(Glibc)
import Glibc
#endif

/// Hands the allocator's free pages back to the system (glibc `malloc_trim`). glibc keeps the
/// pages a step freed inside its per-thread arenas, so a service whose steps allocate and free
/// tens of megabytes grows to the sum of its largest steps' leftovers; trimmed between steps, its
/// resident memory follows what it holds. About a millisecond (docs/scoring.md, "Memory").
public func releaseFreeMemory() {
    #if canImport(Glibc)
    _ = mallocTrim?(0)
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
