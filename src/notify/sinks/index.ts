import type { SinkConfig } from '../config.js';
import { EmailSink } from './email.js';
import { PagerDutySink } from './pagerduty.js';
import { SlackSink } from './slack.js';
import { TeamsSink } from './teams.js';
import type { Sink } from './types.js';
import { WebhookSink } from './webhook.js';

export type { Sink, SendContext, SendResult } from './types.js';

export function createSink(c: SinkConfig): Sink {
  switch (c.type) {
    case 'slack':
      return new SlackSink(c.name, c);
    case 'teams':
      return new TeamsSink(c.name, c.webhookURL);
    case 'pagerduty':
      return new PagerDutySink(c.name, c);
    case 'webhook':
      return new WebhookSink(c.name, c);
    case 'email':
      return new EmailSink(c.name, c);
  }
}
