package main

import rego.v1

image(user) := {"image": {"reference": "app:1", "config": {"user": user}}}

test_empty_user_is_root if {
	count(deny_root) == 1 with input as image("")
}

test_uid_zero_with_group_is_root if {
	count(deny_root) == 1 with input as image("0:0")
}

test_named_user_allowed if {
	count(deny_root) == 0 with input as image("app")
}

test_numeric_user_allowed if {
	count(deny_root) == 0 with input as image("10001:10001")
}
