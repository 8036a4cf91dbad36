{{/* Name of the chart, overridable. */}}
{{- define "alert-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name when it contains the chart name, else release-chart. */}}
{{- define "alert-agent.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "alert-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "alert-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "alert-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "alert-agent.labels" -}}
helm.sh/chart: {{ include "alert-agent.chart" . }}
{{ include "alert-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "alert-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "alert-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "alert-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The Secret holding the LLM API key and whether it must exist. */}}
{{- define "alert-agent.llmSecretName" -}}
{{- default (printf "%s-llm" (include "alert-agent.fullname" .)) .Values.llm.existingSecret }}
{{- end }}

{{/*
The Secret holding the webhook bearer token ("" = no token: only with webhook.requireToken false and
neither existingSecret nor bearerToken given).
*/}}
{{- define "alert-agent.webhookSecretName" -}}
{{- if .Values.webhook.existingSecret }}
{{- .Values.webhook.existingSecret }}
{{- else if or .Values.webhook.bearerToken .Values.webhook.requireToken }}
{{- printf "%s-webhook" (include "alert-agent.fullname" .) }}
{{- end }}
{{- end }}

{{/*
The token of the chart's webhook Secret: webhook.bearerToken if given, else the one the Secret already
holds (lookup: stable across helm upgrade), else a new random one. Only for the Secret the chart creates.
*/}}
{{- define "alert-agent.webhookToken" -}}
{{- if .Values.webhook.bearerToken }}
{{- .Values.webhook.bearerToken }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "alert-agent.webhookSecretName" .) }}
{{- $data := dig "data" (dict) ($existing | default (dict)) }}
{{- if hasKey $data .Values.webhook.secretKey }}
{{- index $data .Values.webhook.secretKey | b64dec }}
{{- else }}
{{- randAlphaNum 48 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Whether the (namespaced) actions ClusterRole is rendered and bound: "true" or "". Not with policy.mode
observe (nothing changes the cluster), nor with auto and no policy.allowedTools (auto runs only those and
asks no person), nor with rbac.create false.
*/}}
{{- define "alert-agent.actionsRbac" -}}
{{- if and .Values.rbac.create (ne .Values.policy.mode "observe") (or (ne .Values.policy.mode "auto") (not (empty .Values.policy.allowedTools))) }}true{{ end }}
{{- end }}

{{/*
Whether the node actions (cordon_node / uncordon_node: cluster-scoped) get their ClusterRole and
ClusterRoleBinding: "true" or "". rbac.nodeActions always / never decides; with auto (the default) they
are bound exactly when the policy (src/policy/policy.ts) can let one run:
  - policy.allowedClusterTools names kubernetes__cordon_node or kubernetes__uncordon_node, or
  - policy.mode is approve and policy.allowedNamespaces is empty (a person approves it).
Otherwise the policy blocks every cluster-scoped change (namespaces limited, or auto without the entry).
*/}}
{{- define "alert-agent.nodeActionsRbac" -}}
{{- if and .Values.rbac.create (ne .Values.policy.mode "observe") }}
{{- $mode := .Values.rbac.nodeActions | default "auto" }}
{{- if eq $mode "always" }}true
{{- else if eq $mode "auto" }}
{{- $listed := .Values.policy.allowedClusterTools | default list }}
{{- $named := or (has "kubernetes__cordon_node" $listed) (has "kubernetes__uncordon_node" $listed) }}
{{- if or $named (and (eq .Values.policy.mode "approve") (empty .Values.policy.allowedNamespaces)) }}true{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/* In-cluster URL of the webhook. */}}
{{- define "alert-agent.webhookURL" -}}
{{- printf "http://%s.%s.svc:%v/api/v1/alerts" (include "alert-agent.fullname" .) .Release.Namespace .Values.webhook.port }}
{{- end }}

{{/* Fails the render on values the operator would refuse at start-up. */}}
{{- define "alert-agent.validate" -}}
{{- if not (has .Values.policy.mode (list "observe" "approve" "auto")) }}
{{- fail (printf "policy.mode must be observe, approve or auto (got %q)" .Values.policy.mode) }}
{{- end }}
{{- if not (has .Values.analyzer (list "auto" "llm" "rules")) }}
{{- fail (printf "analyzer must be auto, llm or rules (got %q)" .Values.analyzer) }}
{{- end }}
{{- if not (has .Values.incidentNamespaceMode (list "operator" "alert")) }}
{{- fail (printf "incidentNamespaceMode must be operator or alert (got %q)" .Values.incidentNamespaceMode) }}
{{- end }}
{{- $nodeActions := .Values.rbac.nodeActions }}
{{- if not (or (kindIs "invalid" $nodeActions) (and (kindIs "string" $nodeActions) (has $nodeActions (list "auto" "always" "never")))) }}
{{- fail (printf "rbac.nodeActions must be auto, always or never (got %q)" (toString .Values.rbac.nodeActions)) }}
{{- end }}
{{- range .Values.policy.allowedNamespaces }}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" .) }}
{{- fail (printf "policy.allowedNamespaces: %q is not a namespace name" .) }}
{{- end }}
{{- end }}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection) }}
{{- fail "replicaCount > 1 needs leaderElection: true" }}
{{- end }}
{{- if lt (int .Values.shards) 1 }}
{{- fail (printf "shards must be at least 1 (got %v)" .Values.shards) }}
{{- end }}
{{- if and .Values.web.enabled (eq .Values.web.auth "proxy") }}
{{- /* Identity headers prove nothing by themselves: the proxy's secret, and a port only the proxy reaches. */}}
{{- if not .Values.web.proxySecret.existingSecret }}
{{- fail "web.auth=proxy needs web.proxySecret.existingSecret: a Secret with the shared secret the proxy sends in web.proxySecretHeader (else anyone who reaches the port could name any user)" }}
{{- end }}
{{- if not .Values.networkPolicy.enabled }}
{{- fail "web.auth=proxy needs networkPolicy.enabled=true and networkPolicy.web.from naming the proxy: only the proxy may reach the web port" }}
{{- end }}
{{- if not .Values.networkPolicy.web.from }}
{{- fail "web.auth=proxy needs networkPolicy.web.from naming the authenticating proxy (e.g. [{podSelector: {matchLabels: {app.kubernetes.io/name: oauth2-proxy}}}]): only the proxy may reach the web port" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The Deployment of a shard: <fullname> without sharding, <fullname>-shard-N with shards > 1. */}}
{{- define "alert-agent.deploymentName" -}}
{{- if gt (int .root.Values.shards) 1 }}
{{- printf "%s-shard-%d" (include "alert-agent.fullname" .root | trunc 52 | trimSuffix "-") (int .shard) }}
{{- else }}
{{- include "alert-agent.fullname" .root }}
{{- end }}
{{- end }}
