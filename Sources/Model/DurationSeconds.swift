extension Duration {
    /// The duration in seconds, for logs, rates and metrics (never for money or event time).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
