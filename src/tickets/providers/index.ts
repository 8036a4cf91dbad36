// The ticket system of a tracker's config.
import type { TrackerConfig } from '../config.js';
import { GitHubSystem } from './github.js';
import { GitLabSystem } from './gitlab.js';
import { jiraCloud } from './jiraCloud.js';
import { jiraDataCenter } from './jiraDataCenter.js';
import type { TicketSystem } from './types.js';

export type { NewTicket, TicketRef, TicketSystem } from './types.js';

export function createTicketSystem(c: TrackerConfig): TicketSystem {
  switch (c.type) {
    case 'jira-cloud':
      return jiraCloud(c);
    case 'jira-datacenter':
      return jiraDataCenter(c);
    case 'github':
      return new GitHubSystem(c);
    case 'gitlab':
      return new GitLabSystem(c);
  }
}
