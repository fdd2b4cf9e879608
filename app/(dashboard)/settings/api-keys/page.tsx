import type { Metadata } from 'next';
import { ApiKeysTable } from '@/components/settings/api-keys-table';
import { CreateApiKeyForm } from '@/components/settings/create-api-key-form';
import { listApiKeys, toApiKeyDto } from '@/lib/api/keys';
import { requireStaffPage } from '@/lib/auth/guards';
import { getDb } from '@/lib/db/server';
import { API_SCOPES } from '@/lib/vocabulary';

export const metadata: Metadata = { title: 'API keys' };

/** The write API's keys (ADMIN only): list, create (the token shown once), revoke. */
export default async function ApiKeysPage() {
  await requireStaffPage('VIEW_API_KEYS', 'ADMIN');
  const keys = (await listApiKeys(getDb())).map(toApiKeyDto);
  return (
    <>
      <div className="page-head">
        <h1>API keys</h1>
      </div>
      <p className="muted">
        The academy&apos;s other systems call the write API (<code>/api/v1</code>, described at <code>/api/v1/openapi.json</code>) with{' '}
        <code>Authorization: Bearer &lt;token&gt;</code>. A key may do only what its scopes allow; a revoked key is refused at once.
      </p>
      <CreateApiKeyForm scopes={API_SCOPES} />
      <ApiKeysTable keys={keys} />
    </>
  );
}
