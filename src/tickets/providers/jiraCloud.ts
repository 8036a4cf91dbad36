// Jira Cloud, REST v3: bodies in Atlassian Document Format, Basic auth with an account's e-mail and API
// token, JQL through GET /rest/api/3/search/jql (the search resource that replaced /rest/api/3/search).
// https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get
import { markdownToAdf } from '../adf.js';
import type { TrackerConfig } from '../config.js';
import { JiraSystem } from './jira.js';

export function jiraCloud(c: Extract<TrackerConfig, { type: 'jira-cloud' }>): JiraSystem {
  return new JiraSystem({
    baseURL: c.url,
    version: 3,
    searchPath: '/rest/api/3/search/jql',
    authorization: `Basic ${Buffer.from(`${c.email}:${c.apiToken}`).toString('base64')}`,
    body: markdownToAdf,
    assignee: c.assignee ? { accountId: c.assignee } : undefined,
    project: c.project,
    issueType: c.issueType,
    labels: c.labels,
    priorities: c.priorities,
    closeTransition: c.closeTransition,
    reopenTransition: c.reopenTransition,
  });
}
