{{/*
Labels on every object: kustomize's config/default sets app.kubernetes.io/part-of; Helm's own
mark which release holds it.
*/}}
{{- define "kubeposture.labels" -}}
app.kubernetes.io/part-of: kubeposture
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/*
The manager Pods' labels, which the Deployment selects and the Service targets: the same as
config/default's, so that the selector (immutable) is the same whichever way it was installed.
*/}}
{{- define "kubeposture.selectorLabels" -}}
app.kubernetes.io/name: kubeposture
app.kubernetes.io/component: manager
{{- end }}

{{/*
Renders every YAML document of the chart's copies of kustomize files (files/, written by
hack/chart-files.ts) with the chart's labels added, in the operator's namespace (the copies name
kubeposture-system, in metadata, subjects and CEL alike). Takes a dict: root (the top context),
files (paths under the chart), annotations (optional, added to each object).
*/}}
{{- define "kubeposture.files" -}}
{{- $root := .root -}}
{{- $annotations := .annotations | default dict -}}
{{- range $path := .files }}
{{- $text := $root.Files.Get $path }}
{{- if not $text }}{{ fail (printf "the chart has no file %s (node hack/chart-files.ts writes it)" $path) }}{{ end }}
{{- $text = replace "kubeposture-system" $root.Values.namespace.name $text }}
{{- range $doc := regexSplit "(?m)^---[ \t]*$" $text -1 }}
{{- $obj := fromYaml $doc }}
{{- if hasKey $obj "Error" }}{{ fail (printf "%s: %s" $path (get $obj "Error")) }}{{ end }}
{{- if $obj }}
{{- $meta := $obj.metadata }}
{{- $_ := set $meta "labels" (merge (include "kubeposture.labels" $root | fromYaml) ($meta.labels | default dict)) }}
{{- if $annotations }}
{{- $_ := set $meta "annotations" (merge (deepCopy $annotations) ($meta.annotations | default dict)) }}
{{- end }}
---
{{ toYaml $obj }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
