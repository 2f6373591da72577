import { createServer } from "node:net";

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The runtime's three ports, each a free one on 127.0.0.1 (for tests and benchmarks). */
export async function freeRuntimePorts(): Promise<{
  readonly apiPort: number;
  readonly dynamodbPort: number;
  readonly eventbridgePort: number;
}> {
  return { apiPort: await freePort(), dynamodbPort: await freePort(), eventbridgePort: await freePort() };
}

/** Resolves whether something already listens on `port` of 127.0.0.1 (or of every interface). */
export function isPortTaken(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") resolve(true);
      else reject(error);
    });
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}
