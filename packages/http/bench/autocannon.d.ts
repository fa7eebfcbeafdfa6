// autocannon ships no types; this covers the part the benchmark uses.
declare module "autocannon" {
  interface Client {
    setRequests(requests: readonly { method: string; path: string; headers?: Record<string, string>; body?: string }[]): void;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    headers?: Record<string, string>;
    method?: string;
    body?: string;
    requests?: readonly { method: string; path: string; headers?: Record<string, string>; body?: string }[];
    setupClient?: (client: Client) => void;
  }
  interface Result {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number; average: number };
    non2xx: number;
    errors: number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
