import { DataTable } from '@/components/ui/data-table';
import { LocalTime } from '@/components/ui/local-time';
import type { ApiKeyDto } from '@/lib/api/keys';
import { RevokeApiKeyButton } from './revoke-api-key-button';

/** Every API key, newest first: never the token, only its first characters. */
export function ApiKeysTable({ keys }: { keys: ApiKeyDto[] }) {
  return (
    <section aria-labelledby="api-keys-title">
      <h2 id="api-keys-title">API keys</h2>
      <DataTable
        label="API keys"
        columns={[
          { label: 'Name' },
          { label: 'Prefix' },
          { label: 'Scopes' },
          { label: 'Created' },
          { label: 'Last used' },
          { label: 'Status' },
          { label: <span className="sr-only">Actions</span> },
        ]}
        empty="No API keys yet."
        rows={keys.map((k) => (
          <tr key={k.id} data-api-key={k.name}>
            <td>{k.name}</td>
            <td className="kind">{k.prefix}…</td>
            <td className="kind">{k.scopes.join(', ')}</td>
            <td>
              <LocalTime iso={k.createdAt} /> <span className="muted">by {k.createdBy}</span>
            </td>
            <td>{k.lastUsedAt ? <LocalTime iso={k.lastUsedAt} relative /> : <span className="muted">never</span>}</td>
            <td>
              {k.revokedAt ? (
                <span className="status status-failed">
                  Revoked <LocalTime iso={k.revokedAt} />
                </span>
              ) : (
                <span className="status status-succeeded">Active</span>
              )}
            </td>
            <td className="actions-cell">{k.revokedAt ? null : <RevokeApiKeyButton name={k.name} />}</td>
          </tr>
        ))}
      />
    </section>
  );
}
