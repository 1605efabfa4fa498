/**
 * `npm run cluster`: a local cluster in one command. N replicas of the server on consecutive loopback
 * ports behind HAProxy (Debian's `haproxy` package), with the shipped `deploy/haproxy/inflight.cfg`:
 *
 *   npm run cluster -- --replicas 3 --model synthetic:small
 *   npm run cluster -- --replicas 2 --model ./model.gguf -- --parallel 8 --ctx-size 8192
 *
 * Flags after `--` go to every replica unchanged. Ctrl-C (or SIGTERM) drains the replicas, as
 * Kubernetes would, then stops HAProxy; a second Ctrl-C ends everything at once. Owns the command line.
 */
import {cpus} from "node:os";
import {Command, InvalidArgumentError, Option} from "commander";
import {LocalCluster} from "./LocalCluster.ts";

function integer(min: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min) throw new InvalidArgumentError(`expected an integer >= ${min}, got "${value}"`);
    return parsed;
  };
}

const command = new Command("cluster")
  .description("N inflight replicas behind HAProxy on loopback ports; flags after -- go to every replica")
  .option("--replicas <n>", "replicas to start", integer(1), 3)
  .option("-m, --model <model>", "every replica's --model: a GGUF path or synthetic:NAME", "synthetic:tiny")
  .option("--port <port>", "HAProxy's port", integer(1), 8080)
  .option("--first-replica-port <port>", "the first replica's port; the others follow", integer(1), 8081)
  .addOption(new Option("--balance <mode>", "session: consistent hashing on the session key (shipped); roundrobin: none").choices(["session", "roundrobin"]).default("session"))
  .option("--haproxy <path>", "the haproxy binary", "haproxy")
  .argument("[server-flags...]", "flags for every replica, after --")
  .allowExcessArguments(false);

command.parse();
const options = command.opts<{replicas: number; model: string; port: number; firstReplicaPort: number; balance: "session" | "roundrobin"; haproxy: string}>();
const passedFlags = command.args;
// Replicas share the machine's cores unless told otherwise: the server's own default would give
// each of them all of them.
const hasThreads = passedFlags.some((flag) => flag === "--threads" || flag === "-t" || flag.startsWith("--threads="));
const threads = hasThreads ? [] : ["--threads", String(Math.max(1, Math.floor(cpus().length / options.replicas)))];

const write = (name: string, line: string): void => void process.stdout.write(`[${name}] ${line}\n`);
const cluster = await LocalCluster.start({
  numReplicas: options.replicas,
  serverArgs: ["--model", options.model, ...threads, ...passedFlags],
  port: options.port,
  firstReplicaPort: options.firstReplicaPort,
  balance: options.balance,
  haproxyPath: options.haproxy,
  onLine: write
}).catch((error: Error) => {
  process.stderr.write(`cluster: ${error.message}\n`);
  process.exit(1);
});

write("cluster", `ready: ${cluster.url}/v1 -> ${cluster.replicas.map((replica) => `${replica.name} ${replica.url}`).join(", ")}`);
write("cluster", "session key: the x-session-id header, else the body's user; Ctrl-C drains and stops");

let isStopping = false;
const onSignal = (signal: NodeJS.Signals): void => {
  if (isStopping) {
    write("cluster", `second ${signal}: ending every process now`);
    void cluster.kill().then(() => process.exit(1));
    return;
  }
  isStopping = true;
  write("cluster", `${signal}: draining the replicas, then stopping HAProxy`);
  void cluster.stop().then((exits) => {
    write("cluster", `stopped: ${Object.entries(exits).map(([name, code]) => `${name} exit ${code}`).join(", ")}`);
    process.exit(Object.values(exits).every((code) => code === 0) ? 0 : 1);
  });
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
