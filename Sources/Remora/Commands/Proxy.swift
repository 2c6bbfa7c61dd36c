import ArgumentParser
import Foundation
import ZeroMQ

struct Proxy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the bus: an XSUB/XPUB proxy. Publishers connect to --frontend, subscribers to --backend.")

    @Option(help: "Where publishers connect (XSUB binds here).") var frontend = "tcp://*:7401"
    @Option(help: "Where subscribers connect (XPUB binds here).") var backend = "tcp://*:7402"

    func run() throws {
        let context = ZMQContext()
        let proxy = try ZMQProxy(context: context, frontend: frontend, backend: backend)
        print("bus proxy: publishers → \(proxy.frontendEndpoint), subscribers → \(proxy.backendEndpoint)")
        // Block until SIGTERM/SIGINT, then stop cleanly.
        let stop = DispatchSemaphore(value: 0)
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let sources = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
        for source in sources {
            source.setEventHandler { stop.signal() }
            source.resume()
        }
        stop.wait()
        proxy.stop()
        context.terminate()
    }
}
