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

{{/* The Secret holding the webhook bearer token ("" = no token). */}}
{{- define "alert-agent.webhookSecretName" -}}
{{- if .Values.webhook.existingSecret }}
{{- .Values.webhook.existingSecret }}
{{- else if .Values.webhook.bearerToken }}
{{- printf "%s-webhook" (include "alert-agent.fullname" .) }}
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
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection) }}
{{- fail "replicaCount > 1 needs leaderElection: true" }}
{{- end }}
{{- end }}
