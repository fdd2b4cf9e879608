import { createHmac } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { ChannelKind } from '../vocabulary';
import { checkWebhookUrl } from './network';
import { emailOf, slackBody, webhookBody, type Notice } from './payloads';

/**
 * How each channel kind sends one notification. A result is ok, or says why not (an HTTP status,
 * or an error) in words safe to show: never the URL, the secret or a token.
 */

export interface SendResult {
  ok: boolean;
  /** "200", "503", "smtp 550", "timeout", "refused" ... */
  status: string;
  error: string | null;
}

export interface Outgoing {
  deliveryId: string;
  kind: ChannelKind;
  target: string;
  secret: string | null;
  notice: Notice;
}

export interface TransportOptions {
  allowPrivateNetwork: boolean;
  smtpUrl: string | undefined;
  smtpFrom: string;
  timeoutMs?: number;
}

/** The signature header's value: `sha256=` and the hex HMAC-SHA256 of the exact body with the secret. */
export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** SMTP_URL as nodemailer's options (its own URL form would ignore the timeouts given beside it). */
function smtpOptions(raw: string) {
  const url = new URL(raw);
  const secure = url.protocol === 'smtps:';
  const user = decodeURIComponent(url.username);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ...(user ? { auth: { user, pass: decodeURIComponent(url.password) } } : {}),
  };
}

let mailer: { key: string; transport: Transporter } | null = null;
/** One SMTP transport per URL and timeout, bounded like a webhook: connecting, the greeting and each exchange. */
function mailerFor(url: string, timeoutMs: number): Transporter {
  const key = `${timeoutMs}|${url}`;
  if (mailer?.key !== key) {
    mailer = {
      key,
      transport: nodemailer.createTransport({
        ...smtpOptions(url),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      }),
    };
  }
  return mailer.transport;
}

const readable = (err: unknown) => {
  const e = err as { name?: string; code?: string; responseCode?: number; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.code === 'ETIMEDOUT')
    return { status: 'timeout', error: 'no answer in time' };
  if (e?.responseCode) return { status: `smtp ${e.responseCode}`, error: (e.message ?? '').split('\n')[0]!.slice(0, 200) };
  const code = e?.cause?.code ?? e?.code;
  return { status: code ? code.toLowerCase() : 'error', error: (code ?? e?.message ?? 'the request failed').slice(0, 200) };
};

async function post(url: string, body: string, headers: Record<string, string>, opts: TransportOptions): Promise<SendResult> {
  // Checked again before each delivery: the host may resolve elsewhere than when the channel was added.
  await checkWebhookUrl(url, opts.allowPrivateNetwork);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'SyncWatch-Alerts/1', ...headers },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  await res.arrayBuffer().catch(() => undefined);
  const ok = res.status >= 200 && res.status < 300;
  return { ok, status: String(res.status), error: ok ? null : `the receiver answered ${res.status}` };
}

export async function send(o: Outgoing, opts: TransportOptions): Promise<SendResult> {
  try {
    if (o.kind === 'WEBHOOK') {
      const body = webhookBody(o.notice, o.deliveryId);
      const headers: Record<string, string> = { 'x-syncwatch-delivery': o.deliveryId, 'x-syncwatch-event': o.notice.state };
      if (o.secret) headers['x-syncwatch-signature'] = signature(body, o.secret);
      return await post(o.target, body, headers, opts);
    }
    if (o.kind === 'SLACK') return await post(o.target, slackBody(o.notice), {}, opts);
    if (!opts.smtpUrl) return { ok: false, status: 'not configured', error: 'SMTP_URL is not set: no email can be sent' };
    const mail = emailOf(o.notice);
    const info = await mailerFor(opts.smtpUrl, opts.timeoutMs ?? 10_000).sendMail({
      from: opts.smtpFrom,
      to: o.target,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: { 'X-SyncWatch-Delivery': o.deliveryId, 'X-SyncWatch-Event': o.notice.state },
    });
    return { ok: info.rejected.length === 0, status: 'smtp 250', error: info.rejected.length ? 'the server refused the address' : null };
  } catch (err) {
    if ((err as { name?: string }).name === 'SyncError') return { ok: false, status: 'refused', error: (err as Error).message };
    return { ok: false, ...readable(err) };
  }
}
