// A separate process serving only the operator's webhook (startOperator with controller:false), as the
// image runs it: compiled dist/, configuration from the environment. Prints {"webhookUrl":...} once
// listening; stops on SIGTERM. Used where the webhook must not share the benchmark's event loop.
import { dist } from './common.js';

const d = await dist();
const config = d.config.loadConfig(process.env);
const log = d.logger.createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
const op = await d.operator.startOperator(config, log, { controller: false });
process.stdout.write(JSON.stringify({ webhookUrl: op.webhookUrl, pid: process.pid }) + '\n');
const stop = async () => {
  await op.stop().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// The benchmark holds our stdin: when it goes away (crashed, killed), so do we.
process.stdin.on('end', () => void stop());
process.stdin.resume();
