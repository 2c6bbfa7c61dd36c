public import RemoraModel

public import ZeroMQ

/// Publishes committed stream rows on the bus. Called only after the transaction that stored
/// them has committed: the database is the truth, the bus only says "there is news".
public final class BusPublisher: Sendable {
    private let publisher: ZMQPublisher

    public init(context: ZMQContext, endpoints: BusEndpoints) throws {
        publisher = try ZMQPublisher(context: context, endpoint: endpoints.publishEndpoint)
    }

    public func publish(_ messages: [StoredMessage]) throws {
        for message in messages {
            try publisher.send(topic: message.stream.topic(partition: message.partition), body: message.envelopeJSON)
        }
    }

    public func close() { publisher.close() }
}
