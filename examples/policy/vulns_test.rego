package main

import rego.v1

finding(sev, fixed) := {"id": "CVE-2024-0001", "package": "openssl", "version": "3.0.1", "severity": sev, "fixed_versions": fixed}

test_critical_with_fix_denied if {
	deny == {"CVE-2024-0001 in openssl 3.0.1 is critical and fixed in 3.0.2"} with input as {"vulnerabilities": {"findings": [finding("CRITICAL", ["3.0.2"])]}}
}

test_critical_without_fix_allowed if {
	count(deny) == 0 with input as {"vulnerabilities": {"findings": [finding("CRITICAL", [])]}}
}

test_high_with_fix_allowed if {
	count(deny) == 0 with input as {"vulnerabilities": {"findings": [finding("HIGH", ["3.0.2"])]}}
}
