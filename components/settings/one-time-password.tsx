'use client';

import { useToast } from '@/components/ui/toaster';

/**
 * A generated one-time password, shown this once (SyncWatch keeps only its hash) with "Copy
 * password" and "Done", as the API key token is.
 */
export function OneTimePassword({ email, password, onDone }: { email: string; password: string; onDone: () => void }) {
  const toast = useToast();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(password);
      toast.success('Password copied.');
    } catch {
      toast.error('Could not copy; select the password and copy it by hand.');
    }
  };
  return (
    <div className="notice notice-warn" role="status">
      <p>
        One-time password for <strong>{email}</strong>. Copy it now and hand it over safely: it is shown this once and cannot be recovered.
        They should change it on their Account page after signing in.
      </p>
      <p>
        <code className="json" aria-label="One-time password" data-testid="one-time-password">
          {password}
        </code>
      </p>
      <div className="action-buttons">
        <button type="button" className="button small" onClick={copy}>
          Copy password
        </button>
        <button type="button" className="button small subtle" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
