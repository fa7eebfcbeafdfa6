import { GrpcControlClient as GrpcTransport, type GrpcConnection as TransportConnection } from "@drainkit/client/grpc";
import { FEED_GIVE_UP_AFTER, FEED_RETRY, NOT_LEADER_RETRY, restRequired, type ControlClient } from "./client.ts";
import { CliError, EXIT } from "./errors.ts";
import { cliErrorFromGrpc } from "./grpcErrors.ts";

export interface GrpcConnection {
  /** `host:port` of `drainkit serve --grpc`. */
  readonly address: string;
  readonly token: string | undefined;
  /** The REST client for the verbs gRPC does not cover (rolling upgrades); without it they are a usage error. */
  readonly rest?: ControlClient;
}

/**
 * The control API over gRPC (`drainkit.control.v1`): @drainkit/client's gRPC
 * transport, with failures raised as drainctl's problems and exit codes
 * (the same as over REST).
 *
 * @example
 * const api = new GrpcControlClient({ address: "127.0.0.1:7401", token });
 * const { body } = await api.call<DrainStatus>("POST", "/control/peers/web-1:drain", { body: { reason: "kernel" } });
 */
export class GrpcControlClient extends GrpcTransport {
  constructor(connection: GrpcConnection) {
    const options: TransportConnection = {
      ...connection,
      retry: NOT_LEADER_RETRY,
      feedRetry: FEED_RETRY,
      feedGiveUpAfter: FEED_GIVE_UP_AFTER,
      errors: {
        fromGrpc: cliErrorFromGrpc,
        restRequired,
        historyLost: (message) => new CliError("Event history lost", message, EXIT.unavailable, "Run the command again to start from the current state."),
        unavailable: (message) => new CliError("Server unavailable", message, EXIT.unavailable, "Check that `drainkit serve --grpc` is running, then run the command again."),
      },
    };
    super(options);
  }
}
