import Foundation

/// Reads complete lines of an append-only NDJSON file from a byte offset. A line still being
/// written (no trailing newline yet) is left for the next read, so a reader never sees half a row.
public struct NDJSONFile: Sendable {
    public let path: String
    public init(path: String) { self.path = path }

    /// Bytes in the file now (0 when absent): a reader whose cursor reached it has read everything.
    public var size: Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    public struct Line: Sendable {
        /// Byte offset just past this line's newline: the cursor to store once it is applied.
        public let endOffset: Int64
        public let text: String
    }

    public func read(from offset: Int64, maxLines: Int) throws -> [Line] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        var lines: [Line] = []
        var position = offset
        var pending = Data()
        while lines.count < maxLines, let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            pending.append(chunk)
            var start = pending.startIndex
            while lines.count < maxLines, let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let text = String(decoding: pending[start..<newline], as: UTF8.self)
                position += Int64(newline - start + 1)
                start = pending.index(after: newline)
                if !text.trimmingCharacters(in: .whitespaces).isEmpty {
                    lines.append(Line(endOffset: position, text: text))
                }
            }
            pending = Data(pending[start...])
        }
        return lines
    }
}
