/// Where the bus is. Remora uses a central XSUB/XPUB proxy (`remora proxy`): every publisher
/// connects to `publishEndpoint`, every subscriber to `subscribeEndpoint`. One well-known
/// address pair works the same across hosts, in compose and on Kubernetes, and replicas come
/// and go without anyone else reconfiguring (see docs/architecture.md).
public struct BusEndpoints: Sendable, Hashable {
    /// Publishers connect here (the proxy's XSUB side), e.g. `tcp://127.0.0.1:7401`.
    public var publishEndpoint: String
    /// Subscribers connect here (the proxy's XPUB side), e.g. `tcp://127.0.0.1:7402`.
    public var subscribeEndpoint: String

    public init(publishEndpoint: String, subscribeEndpoint: String) {
        self.publishEndpoint = publishEndpoint
        self.subscribeEndpoint = subscribeEndpoint
    }

    /// The defaults for a single machine.
    public static let local = BusEndpoints(
        publishEndpoint: "tcp://127.0.0.1:7401", subscribeEndpoint: "tcp://127.0.0.1:7402")
}
