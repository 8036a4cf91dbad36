// Jira Data Center / Server, REST v2: bodies are strings in wiki markup, a personal access token as
// Bearer, JQL through GET /rest/api/2/search.
// https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/issue-createIssue
// https://confluence.atlassian.com/enterprise/using-personal-access-tokens-1026032365.html
import { markdownToWiki } from '../adf.js';
import type { TrackerConfig } from '../config.js';
import { JiraSystem } from './jira.js';

export function jiraDataCenter(c: Extract<TrackerConfig, { type: 'jira-datacenter' }>): JiraSystem {
  return new JiraSystem({
    baseURL: c.url,
    version: 2,
    searchPath: '/rest/api/2/search',
    authorization: `Bearer ${c.token}`,
    body: markdownToWiki,
    assignee: c.assignee ? { name: c.assignee } : undefined,
    project: c.project,
    issueType: c.issueType,
    labels: c.labels,
    priorities: c.priorities,
    closeTransition: c.closeTransition,
    reopenTransition: c.reopenTransition,
  });
}
