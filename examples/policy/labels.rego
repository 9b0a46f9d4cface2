# Warn when the image lacks the OCI labels that say where it was built from
# (the list is data.required_labels, data/registries.json).
package main

import rego.v1

warn contains msg if {
	some label in data.required_labels
	not input.image.config.labels[label]
	msg := sprintf("label %s is missing", [label])
}
