package main

import rego.v1

test_allowed_registry if {
	count(violation) == 0 with input as {"image": {"reference": "registry.example.com/team/app:1.0"}}
}

test_other_registry_denied if {
	vs := violation with input as {"image": {"reference": "docker.io/library/nginx:1.27"}}
	some v in vs
	v.msg == "docker.io/library/nginx:1.27 is not from an allowed registry"
	v.registry == "docker.io"
}

test_prefix_must_match_from_the_start if {
	count(violation) == 1 with input as {"image": {"reference": "evil.example/registry.example.com/app"}}
}

test_data_can_be_replaced if {
	count(violation) == 0 with input as {"image": {"reference": "quay.io/x/y"}} with data.allowed_registries as ["quay.io/"]
}
