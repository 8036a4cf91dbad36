// A client-node CustomObjectsApi whose requests share one keep-alive HTTPS agent. client-node 1.x makes
// a new https.Agent for every request (KubeConfig.applySecurityAuthentication), so each request opens a
// new TLS connection (handshake + a fresh secure context); this keeps the authentication and swaps in one
// pooled agent. Used for loading data fast and as a reference row in ingest.ts.
// maxSockets must stay unlimited: with requests queued on a keep-alive socket, node-fetch 2 (which
// client-node uses) reports false "Premature close" errors on chunked responses (node-fetch#1767).
import * as https from 'node:https';
import { CustomObjectsApi, KubeConfig, ServerConfiguration, createConfiguration, type RequestContext } from '@kubernetes/client-node';

export function keepAliveCustomObjectsApi(kc: KubeConfig): CustomObjectsApi {
  let agent: https.Agent | undefined;
  const auth = {
    getName: () => 'shared-keepalive-agent',
    async applySecurityAuthentication(ctx: RequestContext) {
      await kc.applySecurityAuthentication(ctx);
      if (!agent) {
        const fresh = ctx.getAgent() as https.Agent & { options: https.AgentOptions };
        agent = new https.Agent({ ...fresh.options, keepAlive: true });
      }
      ctx.setAgent(agent);
    },
  };
  return new CustomObjectsApi(createConfiguration({ baseServer: new ServerConfiguration(kc.getCurrentCluster()!.server, {}), authMethods: { default: auth } }));
}
