#!/usr/bin/env node
// Entry point: configuration, logger, the operator, and signals. Everything else is in operator.ts and src/operator/.
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './observability/logger.js';
import { webhookExposure } from './webhook/exposure.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    // Refused before anything connects or listens (startOperator checks again for other callers).
    webhookExposure(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`alert-agent: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, inCluster: !!config.KUBERNETES_SERVICE_HOST });
  // --enable-source-maps (the image's NODE_OPTIONS) makes Node read and keep the source map of every module
  // it loads, and @kubernetes/client-node ships one for each of its 800: about 10 MB of memory, for stack
  // traces into the library's TypeScript. It is loaded first with them off; our modules after, with them on.
  const sourceMaps = process.sourceMapsEnabled;
  process.setSourceMapsEnabled(false);
  await import('@kubernetes/client-node');
  process.setSourceMapsEnabled(sourceMaps);
  const { startOperator } = await import('./operator.js');
  const operator = await startOperator(config, log, {
    // Like controller-runtime: a replica that lost its lease exits, and Kubernetes starts it afresh.
    onLeadershipLost: () => process.exit(1),
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => {
      log.warn('shutdown took too long; exiting');
      process.exit(1);
    }, 25_000);
    force.unref();
    await operator.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`alert-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
