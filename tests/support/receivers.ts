import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * Real receivers for the alerts' tests, on 127.0.0.1 and a free port: an HTTP server that records
 * every request (method, path, headers, raw body) and can be told to fail, and an SMTP server
 * (smtp-server) that keeps every message as it arrived. Nothing here knows the engine's formats.
 */

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as it arrived (what a signature is checked against). */
  body: string;
}

export interface HttpReceiver {
  /** http://127.0.0.1:<port> */
  origin: string;
  requests: ReceivedRequest[];
  /** Answers `status` (500 by default) to the next `n` requests, then 200 again. */
  failNext(n: number, status?: number): void;
  /** Answers `status` to every request from now on; null goes back to 200. */
  failAlways(status: number | null): void;
  /** Answers every request with this status and headers instead (e.g. a redirect); null undoes it. */
  answerWith(answer: { status: number; headers?: Record<string, string> } | null): void;
  /** Holds every answer this long. */
  delayMs: number;
  /** The requests whose path is `path`. */
  at(path: string): ReceivedRequest[];
  reset(): void;
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  let failures = 0;
  let failStatus = 500;
  let always: number | null = null;
  let answer: { status: number; headers?: Record<string, string> } | null = null;
  const requests: ReceivedRequest[] = [];
  const state = { delayMs: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      let status = 200;
      let headers: Record<string, string> = {};
      if (answer) ({ status, headers = {} } = answer);
      else if (always !== null) status = always;
      else if (failures > 0) {
        failures--;
        status = failStatus;
      }
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'text/plain', ...headers });
        res.end(status < 300 ? 'ok' : 'no');
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    failNext(n, status = 500) {
      failures = n;
      failStatus = status;
    },
    failAlways(status) {
      always = status;
    },
    answerWith(a) {
      answer = a;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    at: (path) => requests.filter((r) => r.path === path),
    reset() {
      requests.length = 0;
      failures = 0;
      always = null;
      answer = null;
      state.delayMs = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedMail {
  /** The envelope. */
  from: string;
  to: string[];
  /** The message as the client sent it: headers, a blank line, the MIME body. */
  raw: string;
}

export interface SmtpReceiver {
  /** smtp://127.0.0.1:<port> */
  url: string;
  messages: ReceivedMail[];
  reset(): void;
  close(): Promise<void>;
}

/** `rejectRecipients`: answers 550 to every RCPT TO, as a server that does not know the address. */
export async function startSmtpReceiver(opts: { rejectRecipients?: boolean } = {}): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!opts.rejectRecipients) return callback();
      callback(Object.assign(new Error(`5.1.1 <${address.address}>: no such user`), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    reset: () => {
      messages.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A TCP server that accepts connections and never says a word (an SMTP server that hangs before
 * its greeting, or a webhook receiver that never answers).
 */
export async function startTarpit(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A header of a raw message (RFC 5322: unfolded, the first of its name), or null. */
export function mailHeader(raw: string, name: string): string | null {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : null;
}

/** The MIME parts' content types of a raw message, in order (e.g. text/plain, text/html). */
export function mailPartTypes(raw: string): string[] {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  return [...raw.slice(head.length).matchAll(/^content-type:\s*([^;\s]+)/gim)].map((m) => m[1]!.toLowerCase());
}

/** Decodes quoted-printable text (soft line breaks and =XX escapes), enough to read a part. */
export function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
