/**
 * A fault-injecting HTTP proxy for the mesh, on 127.0.0.1. Each direction between two nodes gets its own
 * listening port ({@link MeshFaultProxy.route}: node `from` reaches node `to` there), so a fault can cut
 * A→B while B→A works. Every request (frame POSTs and prekey GETs) is read whole, then the rules decide
 * its fate: forwarded, dropped, answered never, delayed, duplicated or held back behind the next one. The
 * rules can be replaced while the nodes run (a partition heals), and their random choices come from the
 * scenario's seeded generator (./seed.ts), so a failing scenario replays. Frames can be recorded and
 * posted again later, straight to the receiver, to replay them.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ParticipantId } from '../../../shared/crypto/protocol.js';
import type { FaultRandom } from './seed.js';

export const FRAME_PATH = '/mesh/v1/frame';

/** One request on its way from node `from` to node `to`. */
export interface ProxiedRequest {
  readonly from: ParticipantId;
  readonly to: ParticipantId;
  readonly method: string;
  readonly path: string;
  readonly body: Uint8Array;
}

export type MeshFault =
  | { readonly kind: 'forward' }
  /** Not forwarded; the caller's connection is reset (a lost request, or a peer that is down). */
  | { readonly kind: 'drop' }
  /** Forwarded, and the answer lost: the receiver took the request, the caller's connection is reset. */
  | { readonly kind: 'drop-answer' }
  /** Not forwarded and never answered: the caller waits for its own timeout. */
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'delay'; readonly ms: number }
  /** Forwarded twice, the copy once the first was answered; the caller gets the first answer. */
  | { readonly kind: 'duplicate' }
  /** Held until the route's next request was forwarded (at most `maxHoldMs`), then forwarded: the two arrive swapped. */
  | { readonly kind: 'reorder'; readonly maxHoldMs: number };

/** Decides one request's fault, or leaves it to the next rule (`undefined`); a request no rule decides is forwarded. */
export type MeshFaultRule = (request: ProxiedRequest, random: FaultRandom) => MeshFault | undefined;

export const isFrame = (request: ProxiedRequest): boolean => request.method === 'POST' && request.path === FRAME_PATH;

/** Every request from `from` to `to` meets `fault` (by default dropped): the direction is cut. */
export function cut(from: ParticipantId, to: ParticipantId, fault: MeshFault = { kind: 'drop' }): MeshFaultRule {
  return (request) => (request.from === from && request.to === to ? fault : undefined);
}

/** The first `count` requests that `matches` selects meet `fault`; later ones are left to the next rules. */
export function firstOf(count: number, matches: (request: ProxiedRequest) => boolean, fault: MeshFault): MeshFaultRule {
  let left = count;
  return (request) => {
    if (left === 0 || !matches(request)) return undefined;
    left -= 1;
    return fault;
  };
}

/** Each request `matches` selects meets the fault `choose` picks with the seeded generator (or none). */
export function randomly(matches: (request: ProxiedRequest) => boolean, choose: (random: FaultRandom) => MeshFault | undefined): MeshFaultRule {
  return (request, random) => (matches(request) ? choose(random) : undefined);
}

/** What came back from the receiver. */
export interface ProxiedAnswer {
  readonly status: number;
  readonly body: string;
}

interface Route {
  readonly from: ParticipantId;
  readonly to: ParticipantId;
  readonly target: URL;
  readonly server: Server;
  /** A request held back by `reorder`, forwarded once the next one was. */
  held: (() => void) | undefined;
}

export class MeshFaultProxy {
  private readonly routes = new Map<string, Route>();
  private rules: readonly MeshFaultRule[] = [];
  /** A connection per forwarded request: a pooled one to a receiver that restarted would fail the next request. */
  private readonly agent = new Agent({ keepAlive: false });
  private recording: ((request: ProxiedRequest) => boolean) | undefined;
  private readonly recordedRequests: ProxiedRequest[] = [];
  /** Requests each fault was applied to, by kind. */
  readonly applied = new Map<MeshFault['kind'], number>();
  private random: FaultRandom = () => {
    throw new Error('a rule made a random choice with no seeded generator: pass the scenario\'s to setRules');
  };

  /** Listens for the direction `from` → `to` (the receiver listens at `targetUrl`); returns the URL `from` should use. */
  async route(from: ParticipantId, to: ParticipantId, targetUrl: string): Promise<string> {
    const server = createServer((request, response) => void this.handle(route, request, response));
    const route: Route = { from, to, target: new URL(targetUrl), server, held: undefined };
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.routes.set(`${from}->${to}`, route);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /**
   * Replaces the rules, for requests from now on (`[]`: everything is forwarded, a partition heals);
   * `random`, the scenario's seeded generator, makes their random choices.
   */
  setRules(rules: readonly MeshFaultRule[], random?: FaultRandom): void {
    this.rules = rules;
    if (random !== undefined) this.random = random;
  }

  /** Keeps a copy of every request `matches` selects from now on (before its fault is applied). */
  record(matches: (request: ProxiedRequest) => boolean): void {
    this.recording = matches;
  }

  recorded(): readonly ProxiedRequest[] {
    return this.recordedRequests;
  }

  /** Sends a request again, straight to its receiver, past the rules: a replay by someone on the path. */
  replay(request: ProxiedRequest): Promise<ProxiedAnswer> {
    return this.forward(this.routeOf(request.from, request.to), request);
  }

  async stop(): Promise<void> {
    for (const route of this.routes.values()) route.held?.();
    await Promise.all(
      [...this.routes.values()].map(
        (route) =>
          new Promise<void>((resolve) => {
            route.server.closeAllConnections();
            route.server.close(() => resolve());
          }),
      ),
    );
    this.agent.destroy();
  }

  private routeOf(from: ParticipantId, to: ParticipantId): Route {
    const route = this.routes.get(`${from}->${to}`);
    if (route === undefined) throw new Error(`no route from ${from} to ${to}`);
    return route;
  }

  private async handle(route: Route, incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const request: ProxiedRequest = { from: route.from, to: route.to, method: incoming.method ?? 'GET', path: incoming.url ?? '/', body: new Uint8Array(Buffer.concat(chunks)) };
    if (this.recording?.(request) === true) this.recordedRequests.push(request);
    const fault = this.decide(request);
    this.applied.set(fault.kind, (this.applied.get(fault.kind) ?? 0) + 1);
    const reset = (): void => {
      incoming.socket.destroy();
    };
    switch (fault.kind) {
      case 'drop':
        reset();
        return;
      case 'blackhole':
        return;
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        break;
      case 'reorder':
        route.held?.();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(release, fault.maxHoldMs);
          function release(): void {
            clearTimeout(timer);
            if (route.held === release) route.held = undefined;
            resolve();
          }
          route.held = release;
        });
        break;
      default:
        break;
    }
    let answer: ProxiedAnswer;
    try {
      answer = await this.forward(route, request);
    } catch {
      // The receiver is down: the caller sees its connection fail, as it would without the proxy.
      reset();
      return;
    }
    if (fault.kind !== 'reorder') route.held?.();
    if (fault.kind === 'drop-answer') {
      reset();
      return;
    }
    response.writeHead(answer.status).end(answer.body);
    if (fault.kind === 'duplicate') await this.forward(route, request).catch(() => undefined);
  }

  private decide(request: ProxiedRequest): MeshFault {
    for (const rule of this.rules) {
      const fault = rule(request, this.random);
      if (fault !== undefined) return fault;
    }
    return { kind: 'forward' };
  }

  private forward(route: Route, request: ProxiedRequest): Promise<ProxiedAnswer> {
    return new Promise((resolve, reject) => {
      const headers = request.method === 'POST' ? { 'content-type': 'application/octet-stream', 'content-length': String(request.body.length) } : {};
      const upstream = httpRequest(new URL(request.path, route.target), { method: request.method, headers, agent: this.agent }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        answer.on('error', reject);
      });
      upstream.on('error', reject);
      upstream.end(request.method === 'POST' ? Buffer.from(request.body) : undefined);
    });
  }
}
