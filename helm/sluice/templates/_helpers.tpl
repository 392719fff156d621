{{/*
Shared pieces of the Sluice chart. Most helpers take a context dict:
  root: the top-level context ($), name: the service (edge, policy, router, accounting), svc: its values.
*/}}

{{/*
The Deployments the release runs. With edge.routerInProcess the edge process runs the router too
(packages/edge-with-router), and only that edge ever called the router, so the router gets no Deployment,
Service, autoscaler, budget or NetworkPolicy of its own.
*/}}
{{- define "sluice.services" -}}
{{- if .Values.edge.routerInProcess }}edge policy accounting{{ else }}edge policy router accounting{{ end }}
{{- end }}

{{/* The gRPC services the edge reaches over the network (not its own in-process router). */}}
{{- define "sluice.grpcServices" -}}
{{- if .Values.edge.routerInProcess }}policy accounting{{ else }}policy router accounting{{ end }}
{{- end }}

{{/*
With edge.routerInProcess, adds to a copy of the edge's values (.svc) what the router's pods would have
had, since that process now does the router's work: its backends, provider keys and other variables,
volumes, pod labels and annotations (workload identity, for example), service account annotations, and
resources for both (edge.routerInProcessResources, else the edge's and the router's added up). The edge's
own entries win where both set one. Scaling, placement and the Service stay the edge's.
*/}}
{{- define "sluice.addInProcessRouter" -}}
{{- $svc := .svc }}
{{- $router := .root.Values.router }}
{{- $_ := set $svc "backends" (concat ($svc.backends | default list) ($router.backends | default list) | uniq) }}
{{- $_ := set $svc "secretEnv" (concat ($router.secretEnv | default list) ($svc.secretEnv | default list)) }}
{{- $_ := set $svc "env" (merge (deepCopy ($svc.env | default dict)) ($router.env | default dict)) }}
{{- range $field := list "extraEnv" "envFrom" "extraVolumes" "extraVolumeMounts" }}
{{- $_ := set $svc $field (concat (index $router $field | default list) (index $svc $field | default list)) }}
{{- end }}
{{- range $field := list "podLabels" "podAnnotations" }}
{{- $_ := set $svc $field (merge (deepCopy (index $svc $field | default dict)) (index $router $field | default dict)) }}
{{- end }}
{{- $accountAnnotations := deepCopy ($svc.serviceAccount.annotations | default dict) }}
{{- range $key, $value := ($router.serviceAccount.annotations | default dict) }}
{{- if and (hasKey $accountAnnotations $key) (ne (toString (index $accountAnnotations $key)) (toString $value)) }}
{{- fail (printf "edge.serviceAccount.annotations and router.serviceAccount.annotations both set %s: with edge.routerInProcess one pod runs both, so it can have only one; set it on the edge" $key) }}
{{- end }}
{{- $_ := set $accountAnnotations $key $value }}
{{- end }}
{{- $_ := set $svc.serviceAccount "annotations" $accountAnnotations }}
{{- if $svc.routerInProcessResources }}
{{- $_ := set $svc "resources" $svc.routerInProcessResources }}
{{- else }}
{{- $_ := set $svc "resources" (include "sluice.addResources" (dict "a" ($svc.resources | default dict) "b" ($router.resources | default dict)) | fromYaml) }}
{{- end }}
{{- end }}

{{/*
Two resources blocks added up: requests add (a missing one counts as none); a limit only when both set it,
since a side without one is unlimited. cpu in cores or millicores, memory in bytes or with a binary or
decimal suffix.
*/}}
{{- define "sluice.addResources" -}}
{{- $sum := dict }}
{{- range $kind := list "requests" "limits" }}
{{- $a := index $.a $kind | default dict }}
{{- $b := index $.b $kind | default dict }}
{{- $out := dict }}
{{- range $resource := list "cpu" "memory" }}
{{- $x := index $a $resource }}
{{- $y := index $b $resource }}
{{- if or (and (eq $kind "requests") (or $x $y)) (and $x $y) }}
{{- $total := add (include "sluice.quantityUnits" (dict "resource" $resource "value" $x) | int64) (include "sluice.quantityUnits" (dict "resource" $resource "value" $y) | int64) }}
{{- if eq $resource "cpu" }}
{{- $_ := set $out "cpu" (ternary (printf "%d" (div $total 1000)) (printf "%dm" $total) (eq (mod $total 1000) 0)) }}
{{- else if eq (mod $total 1073741824) 0 }}
{{- $_ := set $out "memory" (printf "%dGi" (div $total 1073741824)) }}
{{- else if eq (mod $total 1048576) 0 }}
{{- $_ := set $out "memory" (printf "%dMi" (div $total 1048576)) }}
{{- else }}
{{- $_ := set $out "memory" (printf "%d" $total) }}
{{- end }}
{{- end }}
{{- end }}
{{- if $out }}{{ $_ := set $sum $kind $out }}{{ end }}
{{- end }}
{{- toYaml $sum }}
{{- end }}

{{/* A cpu quantity in millicores or a memory quantity in bytes; 0 when unset. */}}
{{- define "sluice.quantityUnits" -}}
{{- $value := .value }}
{{- if kindIs "invalid" $value }}
{{- 0 }}
{{- else }}
{{- $text := toString $value }}
{{- $match := regexFind "^[0-9]+(\\.[0-9]+)?" $text }}
{{- $suffix := trimPrefix $match $text }}
{{- $units := dict "" 1 "m" 0.001 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 "k" 1000 "K" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 }}
{{- if or (not $match) (not (hasKey $units $suffix)) }}
{{- fail (printf "resources %s %q cannot be added up for edge.routerInProcess: set edge.routerInProcessResources" .resource $text) }}
{{- end }}
{{- $scale := ternary 1000.0 1.0 (eq .resource "cpu") }}
{{- round (mulf (float64 $match) (float64 (index $units $suffix)) $scale) 0 | int64 }}
{{- end }}
{{- end }}

{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name; leaves room for "-accounting" within the 63-character limit of a name. */}}
{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sluice.componentName" -}}
{{- printf "%s-%s" (include "sluice.fullname" .root) .name }}
{{- end }}

{{- define "sluice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ include "sluice.chart" .root }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: sluice
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of the release's pods, whatever the service: what the default-deny NetworkPolicy selects. */}}
{{- define "sluice.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .svc.serviceAccount.create }}
{{- default (include "sluice.componentName" .) .svc.serviceAccount.name }}
{{- else }}
{{- default "default" .svc.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sluice.image" -}}
{{- $image := .Values.image }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag | toString) }}
{{- end }}
{{- end }}

{{/* The port the service's HTTP side (health, metrics) listens on. */}}
{{- define "sluice.httpPort" -}}
{{- if eq .name "edge" }}{{ int .svc.port }}{{ else }}{{ int .svc.httpPort }}{{ end }}
{{- end }}

{{/*
The port /metrics is served on: the edge's own side port (its metrics name key aliases and teams, so never
the API port), the health port of the others.
*/}}
{{- define "sluice.metricsPort" -}}
{{- if eq .name "edge" }}
{{- if eq (int .svc.metricsPort) (int .svc.port) }}
{{- fail (printf "edge.metricsPort is %d, the same as edge.port: metrics need a port of their own, which the Ingress never reaches" (int .svc.metricsPort)) }}
{{- end }}
{{- int .svc.metricsPort }}
{{- else }}
{{- int .svc.httpPort }}
{{- end }}
{{- end }}

{{/* The name of the Service port Prometheus scrapes: metrics on the edge, http on the others. */}}
{{- define "sluice.metricsPortName" -}}
{{- if eq .name "edge" }}metrics{{ else }}http{{ end }}
{{- end }}

{{/*
The longest request a client may have open, in seconds: timeouts.requestSeconds or any longer timeout the
inline config sets (router_settings.timeout, litellm_settings.request_timeout, a model's timeout).
*/}}
{{- define "sluice.requestSeconds" -}}
{{- $longest := int .Values.timeouts.requestSeconds }}
{{- $candidates := list }}
{{- if not .Values.existingConfigMap.name }}
{{- $config := .Values.config | default dict }}
{{- with $config.router_settings }}{{ $candidates = append $candidates .timeout }}{{ end }}
{{- with $config.litellm_settings }}{{ $candidates = append $candidates .request_timeout }}{{ end }}
{{- range $config.model_list }}
{{- with .litellm_params }}{{ $candidates = append $candidates .timeout }}{{ end }}
{{- end }}
{{- end }}
{{- range $candidates }}
{{- if and . (or (kindIs "int" .) (kindIs "int64" .) (kindIs "float64" .)) }}
{{- $seconds := . | ceil | int }}
{{- if gt $seconds $longest }}{{ $longest = $seconds }}{{ end }}
{{- end }}
{{- end }}
{{- $longest }}
{{- end }}

{{/* Seconds the edge lets open requests run after SIGTERM. */}}
{{- define "sluice.edgeDrainSeconds" -}}
{{- if kindIs "invalid" .Values.edge.drainTimeoutSeconds }}{{ include "sluice.requestSeconds" . }}{{ else }}{{ int .Values.edge.drainTimeoutSeconds }}{{ end }}
{{- end }}

{{/* SLUICE_SHUTDOWN_TIMEOUT_MS of a service, in seconds: the router drains its upstream calls that long. */}}
{{- define "sluice.shutdownSeconds" -}}
{{- if eq .name "edge" }}
{{- int .root.Values.timeouts.shutdownSeconds }}
{{- else if not (kindIs "invalid" .svc.shutdownTimeoutSeconds) }}
{{- int .svc.shutdownTimeoutSeconds }}
{{- else if eq .name "router" }}
{{- include "sluice.requestSeconds" .root }}
{{- else }}
{{- int .root.Values.timeouts.shutdownSeconds }}
{{- end }}
{{- end }}

{{/*
What the process may take from SIGTERM to exit: the edge drains then flushes; the gRPC services drain
(their shutdown timeout) then close, which the shutdown budget bounds.
*/}}
{{- define "sluice.exitSeconds" -}}
{{- if eq .name "edge" }}
{{- add (include "sluice.edgeDrainSeconds" .root | int) (int .root.Values.timeouts.shutdownSeconds) }}
{{- else }}
{{- add (include "sluice.shutdownSeconds" . | int) (int .root.Values.timeouts.shutdownSeconds) }}
{{- end }}
{{- end }}

{{/* preStop sleep + the exit budget + 5 s, or the set value, which must leave room for both. */}}
{{- define "sluice.terminationGracePeriodSeconds" -}}
{{- $minimum := add (int .root.Values.timeouts.preStopSleepSeconds) (include "sluice.exitSeconds" . | int) }}
{{- if kindIs "invalid" .svc.terminationGracePeriodSeconds }}
{{- add $minimum 5 }}
{{- else }}
{{- $set := int .svc.terminationGracePeriodSeconds }}
{{- if le $set $minimum }}
{{- fail (printf "%s.terminationGracePeriodSeconds is %d: it must be more than the preStop sleep plus the drain and shutdown budget (%d s), or open requests are killed" .name $set $minimum) }}
{{- end }}
{{- $set }}
{{- end }}
{{- end }}

{{- define "sluice.configMapName" -}}
{{- if .Values.existingConfigMap.name }}{{ .Values.existingConfigMap.name }}{{ else }}{{ include "sluice.fullname" . }}-config{{ end }}
{{- end }}

{{- define "sluice.configMapKey" -}}
{{- if .Values.existingConfigMap.name }}{{ .Values.existingConfigMap.key }}{{ else }}config.yaml{{ end }}
{{- end }}

{{/* Rolls the pods when the config changes (an existing ConfigMap: when its name or key changes). */}}
{{- define "sluice.configChecksum" -}}
{{- if .Values.existingConfigMap.name }}
{{- printf "%s/%s" .Values.existingConfigMap.name .Values.existingConfigMap.key | sha256sum }}
{{- else }}
{{- toYaml .Values.config | sha256sum }}
{{- end }}
{{- end }}

{{/*
Fails when the config holds a secret in clear: a key, password, secret, token or credentials field that is
not an os.environ/NAME reference, or a URL with a password in it.
*/}}
{{- define "sluice.assertNoSecretsInConfig" -}}
{{- $path := .path }}
{{- $value := .value }}
{{- if kindIs "map" $value }}
{{- range $key, $child := $value }}
{{- $childPath := printf "%s.%s" $path $key }}
{{- if and (kindIs "string" $child) (regexMatch "(?i)(^|_)(key|password|passwd|secret|credentials|token|auth)$" $key) (ne $child "") (not (hasPrefix "os.environ/" $child)) }}
{{- fail (printf "%s holds a secret in clear: write os.environ/NAME there and put NAME in the Secret named by secrets.existingSecret" $childPath) }}
{{- end }}
{{- /* general_settings.client_keys: a string of keys, or a list whose strings are keys. */}}
{{- if eq $key "client_keys" }}
{{- range $item := (kindIs "slice" $child | ternary $child (list $child)) }}
{{- if and (kindIs "string" $item) (not (hasPrefix "os.environ/" $item)) }}
{{- fail (printf "%s holds client keys in clear: write os.environ/NAME there and put NAME in the Secret named by secrets.existingSecret" $childPath) }}
{{- end }}
{{- end }}
{{- end }}
{{- include "sluice.assertNoSecretsInConfig" (dict "path" $childPath "value" $child) }}
{{- end }}
{{- else if kindIs "slice" $value }}
{{- range $index, $child := $value }}
{{- include "sluice.assertNoSecretsInConfig" (dict "path" (printf "%s[%d]" $path $index) "value" $child) }}
{{- end }}
{{- else if and (kindIs "string" $value) (regexMatch "^[A-Za-z][A-Za-z0-9+.-]*://[^/@\\s]*:[^/@\\s]+@" $value) }}
{{- fail (printf "%s is a URL with a password in it: write os.environ/NAME there and put NAME in the Secret named by secrets.existingSecret" $path) }}
{{- end }}
{{- end }}

{{/* Plain `env` entries must not carry secrets: those come from the Secret through secretEnv. */}}
{{- define "sluice.assertPlainEnv" -}}
{{- range $name, $value := .env }}
{{- if regexMatch "(?i)(SECRET|PASSWORD|TOKEN|API_KEY|MASTER_KEY|PRIVATE_KEY|PEPPER|DATABASE_URL|REDIS_URL)" $name }}
{{- fail (printf "%s.%s looks like a secret: list it in secretEnv and put it in the Secret named by secrets.existingSecret" $.where $name) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The container's environment, as a YAML list. Built as an ordered map so that a later source (global env,
then the service's env, extraEnv) replaces an earlier variable instead of repeating it: Kubernetes
patches env lists by name, and a repeated name breaks upgrades.
*/}}
{{- define "sluice.env" -}}
{{- $root := .root }}
{{- $name := .name }}
{{- $svc := .svc }}
{{- $values := $root.Values }}
{{- $secret := $values.secrets.existingSecret }}
{{- $order := list }}
{{- $vars := dict }}
{{- $plain := dict
  "LOG_LEVEL" $values.logLevel
  "SLUICE_CONFIG" (printf "/etc/sluice/%s" (include "sluice.configMapKey" $root))
  "SLUICE_SHUTDOWN_TIMEOUT_MS" (mul (include "sluice.shutdownSeconds" . | int) 1000)
}}
{{- $order = list "LOG_LEVEL" "SLUICE_CONFIG" "SLUICE_SHUTDOWN_TIMEOUT_MS" }}
{{- if $values.tracing.otlpEndpoint }}
{{- $_ := set $plain "OTEL_EXPORTER_OTLP_ENDPOINT" $values.tracing.otlpEndpoint }}
{{- $order = append $order "OTEL_EXPORTER_OTLP_ENDPOINT" }}
{{- end }}
{{- if eq $name "edge" }}
{{- $_ := set $plain "SLUICE_EDGE_HOST" "0.0.0.0" }}
{{- $_ := set $plain "SLUICE_EDGE_PORT" (int $svc.port) }}
{{- $_ := set $plain "SLUICE_EDGE_METRICS_PORT" (include "sluice.metricsPort" .) }}
{{- $_ := set $plain "SLUICE_DRAIN_TIMEOUT_MS" (mul (include "sluice.edgeDrainSeconds" $root | int) 1000) }}
{{- $_ := set $plain "SLUICE_POLICY_DEADLINE_MS" (int $svc.policyDeadlineMs) }}
{{- $order = concat $order (list "SLUICE_EDGE_HOST" "SLUICE_EDGE_PORT" "SLUICE_EDGE_METRICS_PORT" "SLUICE_DRAIN_TIMEOUT_MS" "SLUICE_POLICY_DEADLINE_MS") }}
{{- if not (kindIs "invalid" $svc.bodyLimitBytes) }}
{{- $_ := set $plain "SLUICE_BODY_LIMIT_BYTES" (int64 $svc.bodyLimitBytes) }}
{{- $order = append $order "SLUICE_BODY_LIMIT_BYTES" }}
{{- end }}
{{- if eq $svc.adminUi false }}
{{- $_ := set $plain "DISABLE_ADMIN_UI" "true" }}
{{- $order = append $order "DISABLE_ADMIN_UI" }}
{{- end }}
{{- range $target := splitList " " (include "sluice.grpcServices" $root) }}
{{- $targetValues := index $values $target }}
{{- $variable := printf "SLUICE_%s_ADDRESS" (upper $target) }}
{{- $_ := set $plain $variable (printf "%s:%d" (include "sluice.componentName" (dict "root" $root "name" $target)) (int $targetValues.grpcPort)) }}
{{- $order = append $order $variable }}
{{- end }}
{{- if $values.edge.routerInProcess }}
{{- /* The in-process router's own listeners. Its edge calls it on 127.0.0.1 (no SLUICE_ROUTER_ADDRESS);
all interfaces so Prometheus reaches its metrics, while the NetworkPolicy lets nothing reach its gRPC port. */}}
{{- $_ := set $plain "SLUICE_GRPC_HOST" "0.0.0.0" }}
{{- $_ := set $plain "SLUICE_ROUTER_PORT" (int $values.router.grpcPort) }}
{{- $_ := set $plain "SLUICE_ROUTER_HTTP_PORT" (int $values.router.httpPort) }}
{{- $order = concat $order (list "SLUICE_GRPC_HOST" "SLUICE_ROUTER_PORT" "SLUICE_ROUTER_HTTP_PORT") }}
{{- end }}
{{- else }}
{{- $_ := set $plain "SLUICE_GRPC_HOST" "0.0.0.0" }}
{{- $_ := set $plain (printf "SLUICE_%s_PORT" (upper $name)) (int $svc.grpcPort) }}
{{- $_ := set $plain (printf "SLUICE_%s_HTTP_PORT" (upper $name)) (int $svc.httpPort) }}
{{- $order = concat $order (list "SLUICE_GRPC_HOST" (printf "SLUICE_%s_PORT" (upper $name)) (printf "SLUICE_%s_HTTP_PORT" (upper $name))) }}
{{- end }}
{{- if or (eq $name "edge") (eq $name "policy") }}
{{- /* Leases: the edge asks for them and policy grants them; both read the same three variables. */}}
{{- if eq $values.leases.enabled false }}
{{- $_ := set $plain "SLUICE_LEASES" "off" }}
{{- $order = append $order "SLUICE_LEASES" }}
{{- end }}
{{- if not (kindIs "invalid" $values.leases.durationMs) }}
{{- $_ := set $plain "SLUICE_LEASE_MS" (int $values.leases.durationMs) }}
{{- $order = append $order "SLUICE_LEASE_MS" }}
{{- end }}
{{- if not (kindIs "invalid" $values.leases.marginMs) }}
{{- $_ := set $plain "SLUICE_LEASE_MARGIN_MS" (int $values.leases.marginMs) }}
{{- $order = append $order "SLUICE_LEASE_MARGIN_MS" }}
{{- end }}
{{- end }}
{{- range $key, $value := $plain }}
{{- $_ := set $vars $key (dict "name" $key "value" (toString $value)) }}
{{- end }}
{{- if $values.internalAuth.enabled }}
{{- $tokenRef := dict "name" (include "sluice.internalTokenSecret" $root) "key" $values.internalAuth.key }}
{{- $_ := set $vars "SLUICE_INTERNAL_TOKEN" (dict "name" "SLUICE_INTERNAL_TOKEN" "valueFrom" (dict "secretKeyRef" $tokenRef)) }}
{{- $order = append $order "SLUICE_INTERNAL_TOKEN" }}
{{- else }}
{{- $_ := set $vars "SLUICE_INTERNAL_AUTH" (dict "name" "SLUICE_INTERNAL_AUTH" "value" "none") }}
{{- $order = append $order "SLUICE_INTERNAL_AUTH" }}
{{- end }}
{{- if has "postgres" $svc.backends }}
{{- $_ := set $vars "DATABASE_URL" (dict "name" "DATABASE_URL" "valueFrom" (dict "secretKeyRef" (dict "name" $secret "key" $values.postgres.urlKey))) }}
{{- $order = append $order "DATABASE_URL" }}
{{- end }}
{{- if has "redis" $svc.backends }}
{{- if $values.redis.cluster.nodes }}
{{- $_ := set $vars "REDIS_CLUSTER_NODES" (dict "name" "REDIS_CLUSTER_NODES" "value" (toString $values.redis.cluster.nodes)) }}
{{- $order = append $order "REDIS_CLUSTER_NODES" }}
{{- if $values.redis.cluster.passwordKey }}
{{- $_ := set $vars "REDIS_PASSWORD" (dict "name" "REDIS_PASSWORD" "valueFrom" (dict "secretKeyRef" (dict "name" $secret "key" $values.redis.cluster.passwordKey))) }}
{{- $order = append $order "REDIS_PASSWORD" }}
{{- end }}
{{- if $values.redis.cluster.tls }}
{{- $_ := set $vars "REDIS_SSL" (dict "name" "REDIS_SSL" "value" "true") }}
{{- $order = append $order "REDIS_SSL" }}
{{- end }}
{{- else }}
{{- $_ := set $vars "REDIS_URL" (dict "name" "REDIS_URL" "valueFrom" (dict "secretKeyRef" (dict "name" $secret "key" $values.redis.urlKey))) }}
{{- $order = append $order "REDIS_URL" }}
{{- end }}
{{- $_ := set $vars "SLUICE_REDIS_PREFIX" (dict "name" "SLUICE_REDIS_PREFIX" "value" (toString $values.redis.keyPrefix)) }}
{{- $order = append $order "SLUICE_REDIS_PREFIX" }}
{{- end }}
{{- if has "nats" $svc.backends }}
{{- if $values.nats.url }}
{{- $_ := set $vars "NATS_URL" (dict "name" "NATS_URL" "value" (toString $values.nats.url)) }}
{{- else }}
{{- $_ := set $vars "NATS_URL" (dict "name" "NATS_URL" "valueFrom" (dict "secretKeyRef" (dict "name" $secret "key" $values.nats.urlKey))) }}
{{- end }}
{{- $order = append $order "NATS_URL" }}
{{- $usage := $values.nats.usage }}
{{- $usageVars := dict
  "SLUICE_USAGE_STREAM" $usage.stream
  "SLUICE_USAGE_SUBJECT" $usage.subject
  "SLUICE_USAGE_REPLICAS" (int $usage.replicas)
  "SLUICE_USAGE_STORAGE" $usage.storage
  "SLUICE_USAGE_DUPLICATE_WINDOW_MS" (int64 $usage.duplicateWindowMs)
  "SLUICE_USAGE_MAX_AGE_MS" (int64 $usage.maxAgeMs)
  "SLUICE_USAGE_MAX_DELIVER" (int $usage.maxDeliver)
  "SLUICE_USAGE_ACK_WAIT_MS" (int64 $usage.ackWaitMs)
  "SLUICE_USAGE_ACCOUNTING_CONSUMER" $usage.accountingConsumer
  "SLUICE_USAGE_POLICY_CONSUMER" $usage.policyConsumer
}}
{{- range $key, $value := $usageVars }}
{{- $_ := set $vars $key (dict "name" $key "value" (toString $value)) }}
{{- $order = append $order $key }}
{{- end }}
{{- end }}
{{- range $entry := $svc.secretEnv }}
{{- $ref := dict }}
{{- if kindIs "string" $entry }}
{{- $ref = dict "name" $entry }}
{{- else }}
{{- $ref = $entry }}
{{- end }}
{{- $keyRef := dict "name" (default $secret $ref.secret) "key" (default $ref.name $ref.key) }}
{{- if $ref.optional }}{{ $_ := set $keyRef "optional" true }}{{ end }}
{{- if not (hasKey $vars $ref.name) }}{{ $order = append $order $ref.name }}{{ end }}
{{- $_ := set $vars $ref.name (dict "name" $ref.name "valueFrom" (dict "secretKeyRef" $keyRef)) }}
{{- end }}
{{- include "sluice.assertPlainEnv" (dict "env" $values.env "where" "env") }}
{{- include "sluice.assertPlainEnv" (dict "env" $svc.env "where" (printf "%s.env" $name)) }}
{{- range $source := list $values.env $svc.env }}
{{- range $key, $value := $source }}
{{- if not (hasKey $vars $key) }}{{ $order = append $order $key }}{{ end }}
{{- $_ := set $vars $key (dict "name" $key "value" (toString $value)) }}
{{- end }}
{{- end }}
{{- range $source := list $values.extraEnv $svc.extraEnv }}
{{- range $entry := (tpl (toYaml (dict "items" (default list $source))) $root | fromYaml).items }}
{{- if not (hasKey $vars $entry.name) }}{{ $order = append $order $entry.name }}{{ end }}
{{- $_ := set $vars $entry.name $entry }}
{{- end }}
{{- end }}
{{- $list := list }}
{{- range $key := $order }}
{{- $list = append $list (index $vars $key) }}
{{- end }}
{{- toYaml $list }}
{{- end }}

{{/* Largest request body in MiB, for proxies in front of the edge. */}}
{{- define "sluice.bodyLimitMebibytes" -}}
{{- $config := .Values.config | default dict }}
{{- $general := $config.general_settings | default dict }}
{{- if and (not .Values.existingConfigMap.name) $general.max_request_size_mb (not (kindIs "string" $general.max_request_size_mb)) }}
{{- $general.max_request_size_mb | ceil | int }}
{{- else if not (kindIs "invalid" .Values.edge.bodyLimitBytes) }}
{{- div (add (int64 .Values.edge.bodyLimitBytes) 1048575) 1048576 }}
{{- else }}
{{- 10 }}
{{- end }}
{{- end }}

{{/* Annotations that let the ingress controller carry long streams and drain them. */}}
{{- define "sluice.ingressControllerAnnotations" -}}
{{- $request := include "sluice.requestSeconds" . | int }}
{{- $drain := include "sluice.edgeDrainSeconds" . | int }}
{{- $controller := .Values.ingress.controller }}
{{- if eq $controller "nginx" }}
nginx.ingress.kubernetes.io/proxy-read-timeout: {{ add $request 30 | quote }}
nginx.ingress.kubernetes.io/proxy-send-timeout: {{ add $request 30 | quote }}
nginx.ingress.kubernetes.io/proxy-buffering: "off"
nginx.ingress.kubernetes.io/proxy-body-size: {{ printf "%dm" (add (include "sluice.bodyLimitMebibytes" . | int) 1) | quote }}
{{- else if eq $controller "alb" }}
alb.ingress.kubernetes.io/target-type: ip
alb.ingress.kubernetes.io/healthcheck-path: /health/readiness
alb.ingress.kubernetes.io/load-balancer-attributes: {{ printf "idle_timeout.timeout_seconds=%d" (min (add $request 30) 4000) | quote }}
alb.ingress.kubernetes.io/target-group-attributes: {{ printf "deregistration_delay.timeout_seconds=%d" (min (add $drain .Values.timeouts.preStopSleepSeconds) 3600) | quote }}
{{- else if eq $controller "azure-application-gateway" }}
appgw.ingress.kubernetes.io/request-timeout: {{ add $request 30 | quote }}
appgw.ingress.kubernetes.io/connection-draining: "true"
appgw.ingress.kubernetes.io/connection-draining-timeout: {{ min (add $drain .Values.timeouts.preStopSleepSeconds) 3600 | quote }}
appgw.ingress.kubernetes.io/health-probe-path: /health/readiness
{{- end }}
{{- with .Values.ingress.certManager }}
{{- if .enabled }}
{{- if .issuer }}
cert-manager.io/issuer: {{ .issuer | quote }}
{{- else }}
cert-manager.io/cluster-issuer: {{ required "ingress.certManager.clusterIssuer (or issuer) is needed when ingress.certManager.enabled" .clusterIssuer | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Any IPv4 address but the blocked ones (the cloud metadata service). */}}
{{- define "sluice.anyAddressPeer" -}}
- ipBlock:
    cidr: 0.0.0.0/0
    {{- with .Values.networkPolicy.blockedCidrs }}
    except:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end }}

{{/* One egress rule: the given peers (or any address but the blocked ones) on the given TCP ports. */}}
{{- define "sluice.egressRule" -}}
- to:
    {{- if .to }}
    {{- toYaml .to | nindent 4 }}
    {{- else }}
    {{- include "sluice.anyAddressPeer" .root | nindent 4 }}
    {{- end }}
  ports:
    {{- range .ports }}
    - protocol: TCP
      port: {{ int . }}
    {{- end }}
{{- end }}

{{/* The Secret holding the internal token: the user's, or the one the chart creates. */}}
{{- define "sluice.internalTokenSecret" -}}
{{- default (printf "%s-internal-token" (include "sluice.fullname" .)) .Values.internalAuth.existingSecret -}}
{{- end }}
