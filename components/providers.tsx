'use client';

import { isServer, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Toaster } from './ui/toaster';

function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // Above zero, so data rendered on the server is not refetched the moment it hydrates.
        staleTime: 5_000,
        // A poll that fails is retried by the next poll; the page says it is stale meanwhile.
        retry: 0,
      },
    },
  });
}

let browserQueryClient: QueryClient | undefined;

/** A new client per server request (no data shared between users); one for the browser tab. */
function getQueryClient() {
  if (isServer) return makeQueryClient();
  browserQueryClient ??= makeQueryClient();
  return browserQueryClient;
}

export function Providers({ children }: { children: ReactNode }) {
  const queryClient = getQueryClient();
  return (
    <QueryClientProvider client={queryClient}>
      <Toaster>{children}</Toaster>
    </QueryClientProvider>
  );
}
