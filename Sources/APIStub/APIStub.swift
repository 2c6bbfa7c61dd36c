import RemoraSimulator

/// Placeholder until the loopback API server lands.
enum APIStubPlaceholder {}
