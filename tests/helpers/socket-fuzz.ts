/**
 * A socket.io fuzzer: sends random, malformed and hostile messages on one
 * authenticated connection and checks every answer. Acked commands must be
 * answered with a typed ack (`bad_request` for anything the schema refuses);
 * raw packets and oversized messages may cost the connection, which is then
 * reopened with the same token.
 */
import { ERROR_CODES, LIMITS, type Ack, type CommandName } from '../../src/lib/protocol';
import { COMMAND_NAMES, COMMANDS } from '../../src/lib/protocol/commands';
import { connectClient, type BoardClient } from './clients';
import { fuzzDone, hostileValue, mutate, POLLUTERS, randomJson, type FuzzBudget, type Rng } from './fuzz';

export interface FuzzTarget {
  url: string;
  code: string;
  token: string;
  /** A valid payload of each command, built from ids that exist in the session. */
  valid: (rng: Rng) => Record<CommandName, Record<string, unknown>>;
  /** Real ids and values to mix into mutated payloads. */
  pool: readonly unknown[];
}

/** A command the server acknowledged with `ok: true` (input the schema accepts). */
export interface Accepted {
  name: CommandName;
  payload: unknown;
  data: unknown;
}

export interface FuzzReport {
  cases: number;
  acked: number;
  raw: number;
  reconnects: number;
  elapsedMs: number;
  codes: Record<string, number>;
  accepted: Accepted[];
  violations: string[];
}

const EXTRA_EVENTS = [
  'error',
  'state',
  'phase',
  'results',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'vote ',
  'VOTE',
  'x'.repeat(500),
  ''
];

const RAW_PACKETS = [
  '42["disconnect"]',
  '42["connect"]',
  '42["disconnecting"]',
  '42["newListener","vote"]',
  '42["removeListener","vote"]',
  '42["error",{"code":"internal"}]',
  '42[',
  '42{}',
  '42"vote"',
  '42[]',
  '42[1,2]',
  '42[null]',
  '42[{}]',
  '4',
  '49',
  '4x',
  '2',
  '42999999999["state:request",{}]',
  '42999999999["vote",{"factor":"x"}]',
  '4299999999999999999999999["state:request",{}]',
  '45-["vote",{"_placeholder":true,"num":0}]',
  '451-["vote",{"_placeholder":true,"num":7}]',
  '451-["vote",{"_placeholder":"x","num":"__proto__"}]',
  '43999999999[]',
  '40',
  '40{"token":"x"}',
  '40/admin,',
  '42/admin,["vote",{}]',
  '42/../,["vote",{}]',
  '42["__proto__",{}]',
  '42["constructor",{"prototype":{"polluted":"yes"}}]',
  `42["vote",${'['.repeat(3000)}]`,
  `42["vote",${'['.repeat(3000)}${']'.repeat(3000)}]`
];

type Loose = {
  timeout(ms: number): { emit(event: string, ...args: unknown[]): void };
  emit(event: string, ...args: unknown[]): void;
  io: { engine: { write(data: string | Uint8Array): void; transport?: { ws?: { send(data: unknown): void } } } };
};

/** What the server received, after JSON (binary stays as it is). */
function onTheWire(args: unknown[]): unknown[] {
  const hasBinary = (v: unknown, depth = 0): boolean =>
    v instanceof Uint8Array || (depth < 50 && typeof v === 'object' && v !== null && Object.values(v).some((x) => hasBinary(x, depth + 1)));
  if (args.some((a) => hasBinary(a))) return args;
  return JSON.parse(JSON.stringify(args));
}

/** Runs the fuzz loop until `budget` is spent (tests/helpers/fuzz.ts, fuzzDone). */
export async function fuzzSocket(target: FuzzTarget, rng: Rng, budget: FuzzBudget): Promise<FuzzReport> {
  const report: FuzzReport = { cases: 0, acked: 0, raw: 0, reconnects: 0, elapsedMs: 0, codes: {}, accepted: [], violations: [] };
  const violate = (what: string) => report.violations.length < 50 && report.violations.push(what);
  let client: BoardClient = await connectClient(target.url, { code: target.code, token: target.token });
  const started = Date.now();

  const payloadFor = (name: CommandName): unknown => {
    const valid = target.valid(rng)[name];
    const roll = rng.int(20);
    if (roll < 7) return mutate(rng, valid, target.pool);
    if (roll < 11) return randomJson(rng, 4);
    if (roll < 14) return hostileValue(rng, LIMITS.socketMessageBytes * 0.7);
    if (roll < 16) return rng.pick(POLLUTERS)();
    return valid;
  };

  while (!fuzzDone(budget, report.cases, started)) {
    const pending: Promise<void>[] = [];
    let risky = false;
    const batch = Math.min(25, budget.cases - report.cases);
    for (let i = 0; i < batch; i++) {
      report.cases++;
      const roll = rng.int(100);
      const name = rng.pick(COMMAND_NAMES);
      const socket = client.socket as unknown as Loose;
      if (roll < 65) {
        // A command with an ack: usually one payload, sometimes none or several.
        const args = rng.chance(0.9) ? [payloadFor(name)] : Array.from({ length: rng.pick([0, 2, 3]) }, () => randomJson(rng, 2));
        const wire = onTheWire(args);
        const valid = wire.length === 1 && COMMANDS[name].schema.safeParse(wire[0]).success;
        const label = `${name} ${JSON.stringify(wire).slice(0, 200)}`;
        report.acked++;
        pending.push(
          new Promise<void>((resolve) => {
            socket.timeout(5000).emit(name, ...args, (error: Error | null, response: Ack<unknown>) => {
              if (error) violate(`no answer (${error.message}): ${label}`);
              else if (typeof response !== 'object' || response === null || typeof response.ok !== 'boolean')
                violate(`malformed ack ${JSON.stringify(response)}: ${label}`);
              else if (response.ok) {
                if (!valid) violate(`accepted invalid input: ${label}`);
                report.codes.ok = (report.codes.ok ?? 0) + 1;
                report.accepted.push({ name, payload: wire[0], data: response.data });
              } else {
                const code = response.error?.code;
                report.codes[code] = (report.codes[code] ?? 0) + 1;
                if (!(ERROR_CODES as readonly string[]).includes(code) || typeof response.error.message !== 'string')
                  violate(`untyped error ${JSON.stringify(response)}: ${label}`);
                else if (code === 'internal') violate(`internal error: ${label}`);
                else if (!valid && code !== 'bad_request' && code !== 'rate_limited') violate(`invalid input answered ${code}, not bad_request: ${label}`);
              }
              resolve();
            });
          })
        );
      } else if (roll < 88) {
        // No callback, an odd last argument, or an event nobody listens to.
        const event = rng.chance(0.5) ? name : rng.pick(EXTRA_EVENTS);
        // Unanswered input must be refused (a valid one would change state unseen).
        const payload = payloadFor(name);
        const args = [COMMANDS[name].schema.safeParse(onTheWire([payload])[0]).success ? null : payload];
        if (rng.chance(0.3)) args.push(rng.pick([null, 0, 'ack', {}, [() => undefined]]));
        if (!COMMAND_NAMES.includes(event as CommandName) && rng.chance(0.3)) {
          // Not waited for; an answer, if any, must be a typed refusal.
          args.push((response: Ack<unknown>) =>
            response?.ok === false && response.error?.code === 'bad_request'
              ? undefined
              : violate(`unknown event "${event}" answered ${JSON.stringify(response)}`)
          );
        }
        socket.emit(event, ...args);
      } else {
        // Let every answer arrive before a packet that may cost the connection.
        await Promise.all(pending);
        risky = true;
        report.raw++;
        const engine = socket.io.engine;
        const pick = rng.int(10);
        if (pick < 6) engine.write(rng.pick(RAW_PACKETS));
        else if (pick < 7) engine.write(`4${rng.string(200)}`);
        else if (pick < 8) engine.transport?.ws?.send(rng.chance(0.5) ? Buffer.from(rng.bytes(rng.int(512))) : `${rng.int(10)}${rng.string(100)}`);
        else socket.emit(name, 'x'.repeat(LIMITS.socketMessageBytes + rng.int(10_000)), () => undefined);
        break;
      }
    }
    await Promise.all(pending);
    if (risky) {
      // A raw packet may have cost the connection (or left a half-read binary packet): start clean.
      client.close();
      client = await connectClient(target.url, { code: target.code, token: target.token });
      report.reconnects++;
    }
  }
  const ping = await client.sendRaw('state:request', {});
  if (!ping.ok) violate(`final state:request refused: ${JSON.stringify(ping)}`);
  client.close();
  report.elapsedMs = Date.now() - started;
  return report;
}
