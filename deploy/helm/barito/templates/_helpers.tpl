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
The engines a service reaches (args: root, name), as a JSON list: only these
get their settings and Secrets. Kafka all five; the search engine the
market, provisioner and flow; Postgres the market alone; the installation
key (`installation`) the market, the receiver and the server (alert channels).
*/}}
{{- define "barito.engines" -}}
{{- $engines := list "kafka" -}}
{{- if include "barito.usesSearch" . }}{{ $engines = append $engines "search" }}{{ end -}}
{{- if eq .name "market" }}{{ $engines = append $engines "database" }}{{ end -}}
{{- /* Not an engine, but mounted like one: the market seals forward keys and alert channels' secrets, the receiver and the server open them. */}}
{{- if has .name (list "market" "receiver" "server") }}{{ $engines = append $engines "installation" }}{{ end -}}
{{- if eq .name "market" }}{{ $engines = append $engines "singleSignOn" }}{{ end -}}
{{- if has .name (list "market" "server") }}{{ $engines = append $engines "smtp" }}{{ end -}}
{{- toJson $engines -}}
{{- end -}}

{{/* Where one engine's Secret files are mounted (args: engine). */}}
{{- define "barito.engineDir" -}}/var/run/secrets/barito/{{ .engine }}{{- end -}}

{{/*
The Secret files of one engine (args: root, engine), as a JSON list of
{secret, key, path, setting}: the key of the operator's Secret projected to
<engineDir>/<path>, and the setting that names that file. The settings and
the volumes are both made from this list, so a file is never named without
being mounted.
*/}}
{{- define "barito.engineFiles" -}}
{{- $v := index .root.Values .engine -}}
{{- $files := list -}}
{{- $file := dict -}}
{{- if eq .engine "kafka" -}}
{{- with $v.saslPasswordSecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.saslPasswordSecret.key "path" "sasl-password" "setting" "BARITO_KAFKA__SASL_PASSWORD_FILE") -}}
{{- end -}}
{{- with $v.caSecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.caSecret.key "path" "ca.crt" "setting" "BARITO_KAFKA__SSL_CAFILE") -}}
{{- end -}}
{{- with $v.clientCertificateSecret -}}
{{- $files = append $files (dict "secret" . "key" "tls.crt" "path" "client.crt" "setting" "BARITO_KAFKA__SSL_CERTFILE") -}}
{{- $files = append $files (dict "secret" . "key" "tls.key" "path" "client.key" "setting" "BARITO_KAFKA__SSL_KEYFILE") -}}
{{- end -}}
{{- else if eq .engine "search" -}}
{{- with $v.passwordSecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.passwordSecret.key "path" "password" "setting" "BARITO_SEARCH__PASSWORD_FILE") -}}
{{- end -}}
{{- with $v.apiKeySecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.apiKeySecret.key "path" "api-key" "setting" "BARITO_SEARCH__API_KEY_FILE") -}}
{{- end -}}
{{- with $v.caSecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.caSecret.key "path" "ca.crt" "setting" "BARITO_SEARCH__SSL_CAFILE") -}}
{{- end -}}
{{- else if eq .engine "installation" -}}
{{- with $v.keySecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.keySecret.key "path" "installation-key" "setting" "BARITO_INSTALLATION_KEY_FILE") -}}
{{- end -}}
{{- else if eq .engine "smtp" -}}
{{- with $v.passwordSecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.passwordSecret.key "path" "password" "setting" "BARITO_SMTP__PASSWORD_FILE") -}}
{{- end -}}
{{- else if eq .engine "singleSignOn" -}}
{{- with $v.clientSecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.clientSecret.key "path" "client-secret" "setting" "BARITO_OIDC__CLIENT_SECRET_FILE") -}}
{{- end -}}
{{- with $v.caSecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.caSecret.key "path" "ca.crt" "setting" "BARITO_OIDC__SSL_CAFILE") -}}
{{- end -}}
{{- else if eq .engine "database" -}}
{{- with $v.urlSecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.urlSecret.key "path" "url" "setting" "BARITO_DATABASE__URL_FILE") -}}
{{- end -}}
{{- with $v.caSecret.name -}}
{{- $files = append $files (dict "secret" . "key" $v.caSecret.key "path" "ca.crt" "setting" "BARITO_DATABASE__SSL_CAFILE") -}}
{{- end -}}
{{- end -}}
{{- toJson $files -}}
{{- end -}}

{{/*
The keys of the chart's own Secret (the older way, from `database.url` and
`search.password`), as YAML; empty: the chart makes no Secret. A setting
whose Secret file is named (database.urlSecret) is not in it, so a service
never gets both the variable and its _FILE, which it would refuse.
*/}}
{{- define "barito.ownSecretData" -}}
{{- if not .Values.existingSecret -}}
{{- if not .Values.database.urlSecret.name }}
BARITO_DATABASE__URL: {{ required "database.url (or database.urlSecret, or existingSecret) is required: the market keeps its accounts and apps in Postgres" .Values.database.url | quote }}
{{- end }}
{{- with .Values.search.password }}
BARITO_SEARCH__PASSWORD: {{ . | quote }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
The search password as a variable from the chart's or the operator's Secret
(the older way), unless a password or API key file is named instead.
*/}}
{{- define "barito.searchPasswordFromEnv" -}}
{{- $search := .Values.search -}}
{{- if and (or .Values.existingSecret $search.password) (not $search.passwordSecret.name) (not $search.apiKeySecret.name) }}true{{ end -}}
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
{{- if has .name (list "receiver" "server") }}
BARITO_WORKERS: {{ $svc.workers | default 1 | quote }}
{{- end }}
BARITO_KAFKA__BOOTSTRAP_SERVERS: {{ $values.kafka.bootstrapServers | quote }}
BARITO_KAFKA__TOPIC_PREFIX: {{ $values.kafka.topicPrefix | quote }}
{{- with $values.kafka }}
{{- if ne .securityProtocol "PLAINTEXT" }}
BARITO_KAFKA__SECURITY_PROTOCOL: {{ .securityProtocol }}
{{- end }}
{{- if hasPrefix "SASL_" .securityProtocol }}
BARITO_KAFKA__SASL_MECHANISM: {{ .saslMechanism }}
BARITO_KAFKA__SASL_USERNAME: {{ .saslUsername | quote }}
{{- end }}
{{- if not .checkHostname }}
BARITO_KAFKA__SSL_CHECK_HOSTNAME: "false"
{{- end }}
{{- end }}
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
{{- if not $values.search.checkHostname }}
BARITO_SEARCH__SSL_CHECK_HOSTNAME: "false"
{{- end }}
{{- end }}
{{- if and (eq .name "market") (ne $values.database.sslMode "disable") }}
BARITO_DATABASE__SSL_MODE: {{ $values.database.sslMode }}
{{- end }}
{{- /* Paths only: the secrets stay in the operator's Secrets, mounted as files. */}}
{{- range $engine := include "barito.engines" . | fromJsonArray }}
{{- range $file := include "barito.engineFiles" (dict "root" $root "engine" $engine) | fromJsonArray }}
{{ $file.setting }}: {{ printf "%s/%s" (include "barito.engineDir" (dict "engine" $engine)) $file.path | quote }}
{{- end }}
{{- end }}
{{- if and (has .name (list "market" "server")) $values.smtp.host }}
BARITO_SMTP__HOST: {{ $values.smtp.host | quote }}
BARITO_SMTP__PORT: {{ $values.smtp.port | quote }}
BARITO_SMTP__SECURITY: {{ $values.smtp.security }}
BARITO_SMTP__SENDER: {{ $values.smtp.sender | quote }}
{{- with $values.smtp.username }}
BARITO_SMTP__USERNAME: {{ . | quote }}
{{- end }}
{{- end }}
{{- if eq .name "market" }}
BARITO_INGEST_URL_TEMPLATE: {{ $values.publicUrls.ingest | quote }}
BARITO_TAIL_URL_TEMPLATE: {{ $values.publicUrls.tail | quote }}
BARITO_VIEWER_URL_TEMPLATE: {{ $values.publicUrls.viewer | quote }}
BARITO_SIGNUP_ENABLED: {{ $svc.signupEnabled | quote }}
{{- /* Behind the Ingress' TLS the session cookie must not travel in clear. */}}
BARITO_SESSION_COOKIE_SECURE: {{ (not (empty $values.ingress.tls)) | quote }}
{{- with $values.singleSignOn }}
{{- if .issuer }}
BARITO_OIDC__ISSUER: {{ .issuer | quote }}
BARITO_OIDC__CLIENT_ID: {{ required "singleSignOn.clientId is required with an issuer" .clientId | quote }}
{{- $_ := required "singleSignOn.clientSecret.name is required with an issuer: the Secret holding the client secret" .clientSecret.name }}
BARITO_OIDC__DISPLAY_NAME: {{ .displayName | quote }}
BARITO_OIDC__GROUPS_CLAIM: {{ .groupsClaim | quote }}
BARITO_OIDC__ROLES_FROM_CLAIMS: {{ toJson .rolesFromClaims | quote }}
BARITO_OIDC__SUPERADMIN_CLAIMS: {{ toJson .superadminClaims | quote }}
{{- end }}
{{- if not .passwords }}
{{- $_ := required "singleSignOn.passwords=false needs singleSignOn.issuer: otherwise no one could sign in" .issuer }}
BARITO_PASSWORDS_ENABLED: "false"
{{- end }}
{{- end }}
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
{{- /* Alert notifications link to the web UI where people reach it. */}}
{{- with $values.ingress.hosts.market }}
BARITO_WEB_URL: {{ printf "%s://%s" (ternary "https" "http" (not (empty $values.ingress.tls))) . | quote }}
{{- end }}
{{- end }}
{{- end -}}
