import RemoraRuntime
import Testing

/// What a consumer holds between steps: one step's reads at a time, and the freed pages handed back.
@Suite("Step memory")
struct StepMemoryTests {
    @Test("a step's reads are there until cleared; a handler before prepare gets an error, not old reads")
    func stepReads() throws {
        let reads = StepReads<[Int]>()
        #expect(throws: (any Error).self) { try reads.current }
        reads.store([1, 2])
        #expect(try reads.current == [1, 2])
        reads.store([3])
        #expect(try reads.current == [3])
        reads.clear()
        #expect(throws: (any Error).self) { try reads.current }
    }

    @Test("replace drops the last step's reads before reading; a failed read leaves none, not the old")
    func replace() async throws {
        let reads = StepReads<[Int]>()
        reads.store([1])
        await reads.replace {
            #expect(throws: (any Error).self) { try reads.current }
            return [2]
        }
        #expect(try reads.current == [2])
        struct ReadFailed: Error {}
        await #expect(throws: ReadFailed.self) { try await reads.replace { throw ReadFailed() } }
        #expect(throws: (any Error).self) { try reads.current }
    }

    #if os(Linux)
    @Test("glibc's malloc_trim is found: the scorer's trimming between steps is not silently skipped")
    func trimFound() {
        #expect(releaseFreeMemory())
    }
    #endif
}
