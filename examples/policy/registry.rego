# Deny images pulled from a registry that is not allowed (data.allowed_registries,
# prefixes of the reference). Messages are objects, as conftest allows.
package main

import rego.v1

allowed(ref) if {
	some prefix in data.allowed_registries
	startswith(ref, prefix)
}

violation contains {"msg": msg, "registry": registry} if {
	ref := input.image.reference
	not allowed(ref)
	registry := split(ref, "/")[0]
	msg := sprintf("%s is not from an allowed registry", [ref])
}
