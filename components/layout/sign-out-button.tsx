'use client';

import { signOut } from 'next-auth/react';
import { useState } from 'react';

export function SignOutButton() {
  const [pending, setPending] = useState(false);
  return (
    <button
      type="button"
      className="button subtle"
      disabled={pending}
      onClick={async () => {
        setPending(true);
        // Clears the session cookie, then a full navigation drops every cached page.
        await signOut({ redirect: false }).catch(() => {});
        // eslint-disable-next-line @next/next/no-location-assign-relative-destination -- a push would keep the router cache
        window.location.assign('/login');
      }}
    >
      Sign out
    </button>
  );
}
