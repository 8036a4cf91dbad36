// A client-node configuration whose requests share one keep-alive HTTPS agent. client-node 1.x makes a
// new https.Agent for every request (KubeConfig.applySecurityAuthentication), so each request opens a
// new TLS connection; this wrapper keeps the authentication and swaps in one pooled agent.
import * as https from 'node:https';
import { CustomObjectsApi, KubeConfig, ServerConfiguration, createConfiguration, type RequestContext } from '@kubernetes/client-node';

export function keepAliveCustomObjectsApi(kc: KubeConfig, maxSockets = 64): CustomObjectsApi {
  let agent: https.Agent | undefined;
  const auth = {
    getName: () => 'shared-keepalive-agent',
    async applySecurityAuthentication(ctx: RequestContext) {
      await kc.applySecurityAuthentication(ctx);
      if (!agent) {
        const fresh = ctx.getAgent() as https.Agent & { options: https.AgentOptions };
        agent = new https.Agent({ ...fresh.options, keepAlive: true, maxSockets });
      }
      ctx.setAgent(agent);
    },
  };
  return new CustomObjectsApi(createConfiguration({ baseServer: new ServerConfiguration(kc.getCurrentCluster()!.server, {}), authMethods: { default: auth } }));
}
