{{/* The five services, in the order they are rendered. */}}
{{- define "barito.services" -}}
{{- list "market" "receiver" "provisioner" "flow" "server" | toJson -}}
{{- end -}}

{{- define "barito.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Name of one service's objects: <fullname>-<service>. Args: root, name. */}}
{{- define "barito.serviceName" -}}
{{- printf "%s-%s" (include "barito.fullname" .root) .name -}}
{{- end -}}

{{- define "barito.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "barito.labels" -}}
{{ include "barito.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: barito
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "barito.image" -}}
{{- $image := .root.Values.image -}}
{{- $repository := printf "%s/%s" $image.repository .name -}}
{{- if $image.registry -}}{{- $repository = printf "%s/%s" $image.registry $repository -}}{{- end -}}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion $image.tag) -}}
{{- end -}}

{{- define "barito.secretName" -}}
{{- default (printf "%s-settings" (include "barito.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{/* http, or https when the services serve TLS themselves (tls.enabled). */}}
{{- define "barito.scheme" -}}
{{- ternary "https" "http" .Values.tls.enabled -}}
{{- end -}}

{{/* Where a service's own certificate Secret is mounted. */}}
{{- define "barito.tlsDir" -}}/etc/barito/tls{{- end -}}

{{/* Services that call another service of the chart, so must trust its certificate. */}}
{{- define "barito.callsServices" -}}
{{- if has .name (list "server" "provisioner" "canary") }}true{{ end -}}
{{- end -}}

{{/* Services that talk to the search engine (they have search settings). */}}
{{- define "barito.usesSearch" -}}
{{- if has .name (list "market" "provisioner" "flow") }}true{{ end -}}
{{- end -}}

{{/*
The non-secret BARITO_ settings of one service (args: root, name), as YAML.
Each key is a setting the service's settings class reads; the test
tests/test_deploy_helm.py checks that against the code.
*/}}
{{- define "barito.settings" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
{{- $svc := index $values .name -}}
BARITO_ENVIRONMENT: {{ $values.environment }}
BARITO_LOG_LEVEL: {{ $values.logLevel }}
BARITO_PORT: {{ $svc.port | quote }}
BARITO_KAFKA__BOOTSTRAP_SERVERS: {{ $values.kafka.bootstrapServers | quote }}
BARITO_KAFKA__TOPIC_PREFIX: {{ $values.kafka.topicPrefix | quote }}
{{- if $values.tls.enabled }}
BARITO_TLS_CERTFILE: {{ printf "%s/tls.crt" (include "barito.tlsDir" $root) | quote }}
BARITO_TLS_KEYFILE: {{ printf "%s/tls.key" (include "barito.tlsDir" $root) | quote }}
{{- if and $values.tls.caKey (include "barito.callsServices" .) }}
{{- /* Not a BARITO_ setting: the trust store of Python's ssl and httpx. */}}
SSL_CERT_FILE: {{ printf "%s/%s" (include "barito.tlsDir" $root) $values.tls.caKey | quote }}
{{- end }}
{{- end }}
{{- if include "barito.usesSearch" . }}
BARITO_SEARCH__ENGINE: {{ $values.search.engine }}
BARITO_SEARCH__URL: {{ $values.search.url | quote }}
BARITO_SEARCH__INDEX_PREFIX: {{ $values.search.indexPrefix | quote }}
{{- with $values.search.username }}
BARITO_SEARCH__USERNAME: {{ . | quote }}
{{- end }}
{{- end }}
{{- if eq .name "market" }}
BARITO_INGEST_URL_TEMPLATE: {{ $values.publicUrls.ingest | quote }}
BARITO_TAIL_URL_TEMPLATE: {{ $values.publicUrls.tail | quote }}
BARITO_VIEWER_URL_TEMPLATE: {{ $values.publicUrls.viewer | quote }}
BARITO_SIGNUP_ENABLED: {{ $svc.signupEnabled | quote }}
{{- /* Behind the Ingress' TLS the session cookie must not travel in clear. */}}
BARITO_SESSION_COOKIE_SECURE: {{ (not (empty $values.ingress.tls)) | quote }}
{{- end }}
{{- if eq .name "receiver" }}
{{- /*
Each replica enforces its share of every app's events/s. With autoscaling the
replica count moves, so the share is that of the fewest replicas: the
limit is exact at minReplicas and looser above it.
*/}}
{{- $replicas := ternary $svc.autoscaling.minReplicas $svc.replicas $svc.autoscaling.enabled }}
BARITO_RATE_SHARE: {{ divf 1 (max 1 $replicas) | printf "%.4f" | quote }}
{{- end }}
{{- if eq .name "provisioner" }}
BARITO_DRIVER: {{ $svc.driver }}
BARITO_SHARED__FLOW_URL: {{ printf "%s://%s:%v" (include "barito.scheme" $root) (include "barito.serviceName" (dict "root" $root "name" "flow")) $values.flow.port | quote }}
{{- with $svc.kibanaUrl }}
BARITO_SHARED__KIBANA_URL: {{ . | quote }}
{{- end }}
{{- end }}
{{- if eq .name "server" }}
BARITO_MARKET_URL: {{ printf "%s://%s:%v" (include "barito.scheme" $root) (include "barito.serviceName" (dict "root" $root "name" "market")) $values.market.port | quote }}
{{- end }}
{{- end -}}
