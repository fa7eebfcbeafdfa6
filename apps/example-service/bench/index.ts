// Requests per second through one example-service replica (HTTP drain
// participant installed, LifecycleOrchestrator, no control plane) beside a
// bare Fastify hello-world in the same run. Prints figures only.
import autocannon from "autocannon";
import Fastify from "fastify";
import { figure } from "@drainkit/bench";
import { startExampleService } from "../src/index.ts";

const run = (url: string): Promise<number> =>
  new Promise((resolve, reject) => {
    autocannon({ url, connections: 32, duration: 3 }, (error, result) => (error ? reject(error) : resolve(result.requests.average)));
  });

const bare = Fastify();
bare.get("/", async () => ({ id: "bare", version: "1" }));
await bare.listen({ host: "127.0.0.1", port: 0 });
const baseline = await run(`http://127.0.0.1:${(bare.server.address() as { port: number }).port}/`);
await bare.close();

const svc = await startExampleService({ id: "bench", version: "1" });
const gated = await run(`${svc.httpUrl}/`);
await svc.stop();
figure("example_service.http.requests", gated, "req/s", { baseline, baselineName: "bare fastify", connections: 32 });
