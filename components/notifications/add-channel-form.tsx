'use client';

import { useId, useState, type FormEvent } from 'react';
import { ActionForm, useActionForm } from '@/components/ui/action-form';
import { useToast } from '@/components/ui/toaster';
import { addChannelAction } from '@/lib/actions/add-channel';
import { CHANNEL_KIND_LABELS } from '@/lib/data/alerts';
import { CHANNEL_KINDS, type ChannelKind } from '@/lib/vocabulary';
import { checkedConditions, ConditionCheckboxes } from './condition-checkboxes';

const PLACEHOLDERS: Record<ChannelKind, string> = {
  WEBHOOK: 'https://alerts.example.com/syncwatch',
  SLACK: 'https://hooks.slack.com/services/…',
  EMAIL: 'oncall@example.com',
};

/**
 * "Add channel": kind, name, the URL (webhook, Slack) or address (email), the signing secret of a
 * webhook, and the conditions it is told about (none checked: all). The secret is sent once and
 * never shown again; the list shows a URL masked to its origin.
 */
export function AddChannelForm() {
  const id = useId();
  const toast = useToast();
  const [kind, setKind] = useState<ChannelKind>('WEBHOOK');
  const { pending, error, run } = useActionForm();

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const secret = String(data.get('secret') ?? '');
    const input = {
      kind,
      name: String(data.get('name') ?? '').trim(),
      target: String(data.get('target') ?? '').trim(),
      conditions: checkedConditions(data),
      ...(kind === 'WEBHOOK' && secret ? { secret } : {}),
    };
    run(
      form,
      () => addChannelAction(input).catch(() => null),
      (result) => {
        setKind('WEBHOOK');
        toast.success(`Channel ${result.channel.name} added.`);
      },
    );
  };

  return (
    <ActionForm id={id} title="Add channel" heading="h3" submitLabel="Add channel" error={error} pending={pending} onSubmit={onSubmit}>
      <div className="action-buttons">
        <div className="field">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select id={`${id}-kind`} name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as ChannelKind)}>
            {CHANNEL_KINDS.map((k) => (
              <option key={k} value={k}>
                {CHANNEL_KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input id={`${id}-name`} name="name" required maxLength={100} autoComplete="off" />
        </div>
        <div className="field grow">
          <label htmlFor={`${id}-target`}>URL or address</label>
          <input
            id={`${id}-target`}
            name="target"
            required
            maxLength={2048}
            autoComplete="off"
            spellCheck={false}
            inputMode={kind === 'EMAIL' ? 'email' : 'url'}
            placeholder={PLACEHOLDERS[kind]}
          />
        </div>
        {kind === 'WEBHOOK' ? (
          <div className="field">
            <label htmlFor={`${id}-secret`}>Secret</label>
            <input
              id={`${id}-secret`}
              name="secret"
              type="password"
              minLength={16}
              maxLength={256}
              autoComplete="new-password"
              aria-describedby={`${id}-secret-hint`}
            />
            <span id={`${id}-secret-hint`} className="hint">
              Optional, 16+ characters: signs each POST (X-SyncWatch-Signature)
            </span>
          </div>
        ) : null}
      </div>
      <ConditionCheckboxes />
    </ActionForm>
  );
}
