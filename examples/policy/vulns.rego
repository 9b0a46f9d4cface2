# Deny an image with a critical vulnerability that already has a fix:
# patching it is a rebuild away.
package main

import rego.v1

deny contains msg if {
	some f in input.vulnerabilities.findings
	f.severity == "CRITICAL"
	count(f.fixed_versions) > 0
	msg := sprintf("%s in %s %s is critical and fixed in %s", [f.id, f.package, f.version, f.fixed_versions[0]])
}
