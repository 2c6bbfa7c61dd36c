/// The one message format on the bus. `seq` is the position of the message in its stream
/// partition (assigned by PostgreSQL in the writer's transaction), so consumers can ignore what
/// they have already applied and detect gaps. `eventTime` is when the thing happened (what
/// decisions use); `producedAt` is when the row was written (for lag metrics only).
public struct Envelope<Payload: Codable & Sendable>: Sendable, Codable {
    public var schema: String
    public var stream: StreamName
    public var partition: Int
    public var seq: Int64
    public var key: String
    public var eventTime: EventTime
    public var producedAt: EventTime
    public var payload: Payload

    public init(
        stream: StreamName, partition: Int, seq: Int64, key: String, eventTime: EventTime, producedAt: EventTime,
        payload: Payload
    ) {
        self.schema = stream.schema
        self.stream = stream
        self.partition = partition
        self.seq = seq
        self.key = key
        self.eventTime = eventTime
        self.producedAt = producedAt
        self.payload = payload
    }
}

/// The envelope's header without the payload, decoded first so a consumer can skip, route or
/// dead-letter a message before it commits to a payload type.
public struct EnvelopeHeader: Sendable, Codable, Hashable {
    public var schema: String
    public var stream: StreamName
    public var partition: Int
    public var seq: Int64
    public var key: String
    public var eventTime: EventTime
}
