{{/* The five services, in pipeline order. */}}
{{- define "vigil.services" -}}
intake triage tasking comms reporting
{{- end }}

{{- define "vigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-wide name prefix; a release whose name contains the chart's is used as is. */}}
{{- define "vigil.fullname" -}}
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

{{/* Name of one component's objects: (dict "root" $ "component" "intake"). */}}
{{- define "vigil.componentName" -}}
{{- printf "%s-%s" (include "vigil.fullname" .root | trunc (int (sub 62 (len .component))) | trimSuffix "-") .component }}
{{- end }}

{{- define "vigil.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vigil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vigil.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of every object; (dict "root" $ "component" "intake"). */}}
{{- define "vigil.labels" -}}
helm.sh/chart: {{ include "vigil.chart" .root }}
{{ include "vigil.selectorLabels" . }}
app.kubernetes.io/part-of: vigil
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/* Labels that select every pod of the release. */}}
{{- define "vigil.releaseSelector" -}}
app.kubernetes.io/name: {{ include "vigil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vigil.image" -}}
{{- $image := .root.Values.image -}}
{{- $repository := printf "%s%s" $image.repositoryPrefix .component -}}
{{- if $image.registry }}{{ $repository = printf "%s/%s" (trimSuffix "/" $image.registry) $repository }}{{ end -}}
{{- $ref := printf "%s:%s" $repository (default .root.Chart.AppVersion $image.tag) -}}
{{- with get $image.digests .component }}{{ $ref = printf "%s@%s" $ref . }}{{ end -}}
{{- $ref }}
{{- end }}

{{/* Restricted Pod Security: pod level. */}}
{{- define "vigil.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Restricted Pod Security: container level. */}}
{{- define "vigil.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "vigil.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end }}

{{- define "vigil.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
The ConfigMap of one service, (dict "root" $ "component" "intake"): the settings every service
reads, then its own, then services.<name>.env over them. Names are the services' own variables.
*/}}
{{- define "vigil.config" -}}
{{- $v := .root.Values -}}
{{- $c := dict
  "PORT" ($v.containerPort | int64 | toString)
  "HOST" "0.0.0.0"
  "KAFKA_BROKERS" (required "kafka.brokers is required (host:port,host:port)" $v.kafka.brokers)
  "KAFKA_TOPIC_PARTITIONS" ($v.kafka.topics.partitions | int64 | toString)
  "KAFKA_REPLICATION_FACTOR" ($v.kafka.topics.replicationFactor | int64 | toString)
  "KAFKA_MIN_INSYNC_REPLICAS" ($v.kafka.topics.minInsyncReplicas | int64 | toString)
  "DATABASE_POOL_SIZE" ($v.database.poolSize | int64 | toString)
  "LOG_LEVEL" $v.logLevel
  "HTTP_BODY_LIMIT_BYTES" ($v.httpBodyLimitBytes | int64 | toString)
  "TRUST_PROXY" ($v.trustProxy | toString)
  "MIGRATIONS_RUN" "false"
  "KAFKA_TOPICS_CREATE" "false"
-}}
{{- if $v.kafka.sasl.mechanism }}{{ $_ := set $c "KAFKA_SASL_MECHANISM" $v.kafka.sasl.mechanism }}{{ end }}
{{- if $v.kafka.tls.enabled }}{{ $_ := set $c "KAFKA_TLS" "true" }}{{ end }}
{{- if $v.otel.enabled }}
{{- $_ := set $c "OTEL_EXPORTER_OTLP_ENDPOINT" (required "otel.endpoint is required when otel.enabled" $v.otel.endpoint) }}
{{- $_ := set $c "OTEL_EXPORTER_OTLP_PROTOCOL" "http/protobuf" }}
{{- $_ := set $c "OTEL_METRIC_EXPORT_INTERVAL" ($v.otel.metricExportIntervalMs | int64 | toString) }}
{{- end }}
{{- $_ := set $c "AUTH_ISSUER" (required "auth.issuer is required: the issuer URL of your identity provider, exactly as tokens carry it in iss (e.g. https://keycloak.example/realms/soc); see docs/deploy.md, Identity" $v.auth.issuer) }}
{{- $_ := set $c "AUTH_AUDIENCE" (required "auth.audience is required: the aud that access tokens for Vigil carry (e.g. vigil); see docs/deploy.md, Identity" $v.auth.audience) }}
{{- with $v.auth.jwksUrl }}{{ $_ := set $c "AUTH_JWKS_URL" . }}{{ end }}
{{- $_ := set $c "AUTH_ROLES_CLAIM" $v.auth.rolesClaim }}
{{- $_ := set $c "AUTH_ROLE_MAPPING" ($v.auth.roleMapping | default dict | toJson) }}
{{- $_ := set $c "AUTH_ALGORITHMS" (join "," $v.auth.algorithms) }}
{{- $_ := set $c "AUTH_CLOCK_SKEW_SECONDS" ($v.auth.clockSkewSeconds | int64 | toString) }}
{{- if and $v.ingress.enabled $v.ingress.host }}
{{- /* intake is reached on its own host (ingress.ingestHost) when there is one. */}}
{{- $host := ternary ($v.ingress.ingestHost | default $v.ingress.host) $v.ingress.host (eq .component "intake") }}
{{- $_ := set $c "PUBLIC_BASE_URL" (printf "%s://%s" (ternary "https" "http" (gt (len $v.ingress.tls) 0)) $host) }}
{{- end }}
{{- if eq .component "intake" }}
{{- $_ := set $c "INTAKE_RATE_LIMIT_PER_SECOND" ($v.intake.rateLimitPerSecond | int64 | toString) }}
{{- $_ := set $c "INTAKE_BATCH_MAX_ALERTS" ($v.intake.batchMaxAlerts | int64 | toString) }}
{{- end }}
{{- if eq .component "comms" }}
{{- $_ := set $c "COMMS_DELIVERY_MAX_ATTEMPTS" ($v.comms.deliveryMaxAttempts | int64 | toString) }}
{{- $_ := set $c "COMMS_DELIVERY_TIMEOUT_MS" ($v.comms.deliveryTimeoutMs | int64 | toString) }}
{{- $_ := set $c "COMMS_RETRY_BASE_MS" ($v.comms.retryBaseMs | int64 | toString) }}
{{- with $v.comms.smtpFrom }}{{ $_ := set $c "COMMS_SMTP_FROM" . }}{{ end }}
{{- end }}
{{- if and (eq .component "tasking") $v.ingress.enabled $v.ingress.host }}
{{- /* Pages link to the incident and its acknowledge route at the one public base URL. */}}
{{- $_ := set $c "ONCALL_TRIAGE_URL" (printf "%s://%s" (ternary "https" "http" (gt (len $v.ingress.tls) 0)) $v.ingress.host) }}
{{- end }}
{{- range $name, $value := (get $v.services .component).env }}
{{- $_ := set $c $name ($value | toString) }}
{{- end }}
{{- toYaml $c }}
{{- end }}

{{/* Environment from Secrets and the downward API; (dict "root" $ "component" "intake"). */}}
{{- define "vigil.secretEnv" -}}
{{- $v := .root.Values -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret is required" $v.database.existingSecret }}
      key: {{ get $v.database.urlKeys .component }}
{{- if eq .component "intake" }}
- name: INTAKE_API_KEY_PEPPER
  valueFrom:
    secretKeyRef:
      name: {{ required "intake.existingSecret is required" $v.intake.existingSecret }}
      key: {{ $v.intake.apiKeyPepperKey }}
{{- end }}
{{- include "vigil.metricsTokenEnv" .root }}
{{- if and (eq .component "comms") $v.comms.existingSecret }}
- name: COMMS_WEBHOOK_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.comms.existingSecret }}
      key: {{ $v.comms.webhookUrlKey }}
      optional: true
- name: COMMS_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $v.comms.existingSecret }}
      key: {{ $v.comms.webhookSecretKey }}
      optional: true
- name: COMMS_SMTP_URL
  valueFrom:
    secretKeyRef:
      name: {{ $v.comms.existingSecret }}
      key: {{ $v.comms.smtpUrlKey }}
      optional: true
{{- end }}
{{- if $v.kafka.sasl.existingSecret }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.usernameKey }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.sasl.existingSecret }}
      key: {{ $v.kafka.sasl.passwordKey }}
{{- end }}
{{- if $v.otel.enabled }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),service.version=%s%s" (default .root.Chart.AppVersion $v.image.tag) (ternary (printf ",%s" $v.otel.resourceAttributes) "" (ne $v.otel.resourceAttributes "")) | quote }}
{{- end }}
{{- end }}

{{/* METRICS_BEARER_TOKEN from metrics.bearerToken's Secret (services and the chart test). */}}
{{- define "vigil.metricsTokenEnv" -}}
{{- with .Values.metrics.bearerToken.existingSecret }}
- name: METRICS_BEARER_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.metrics.bearerToken.key }}
{{- end }}
{{- end }}

{{/* Values the schema cannot refuse with a useful message. */}}
{{- define "vigil.validate" -}}
{{- if .Values.oidc }}
{{- fail "oidc.* was replaced by auth.*: set auth.issuer (was oidc.issuerUrl) and auth.audience (was oidc.audience), then remove oidc; the services verify tokens themselves and need no client id or secret (docs/deploy.md, Identity)" }}
{{- end }}
{{- end }}
