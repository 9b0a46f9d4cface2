# Deny images that run as root: an empty User, root, or uid 0 (with or without a group).
# (sprintf with %s, not %q: rego-cpp, the second engine the examples are checked with, has no %q.)
package main

import rego.v1

root_user(user) if user == ""

root_user(user) if {
	name := split(user, ":")[0]
	name in {"root", "0"}
}

deny_root contains msg if {
	root_user(input.image.config.user)
	msg := sprintf("%s runs as root (User is \"%s\"); set a non-root USER", [input.image.reference, input.image.config.user])
}
